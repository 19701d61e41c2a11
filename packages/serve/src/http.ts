import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

/** An error answered in OpenAI's shape: `{ error: { message, type, param, code } }` with this HTTP status. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly param: string | null = null,
    readonly code: string | null = null,
  ) {
    super(message);
  }
}

/** `Authorization: Bearer <key>` compared in constant time (digests, so the key's length does not leak either). */
export function authorized(req: IncomingMessage, apiKey: string): boolean {
  const digest = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(req.headers.authorization ?? ''), digest(`Bearer ${apiKey}`));
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

/** The body as JSON; over `cap` bytes it is refused (413) as soon as that is known, by Content-Length or while it arrives. */
export function readJson(req: IncomingMessage, cap: number): Promise<unknown> {
  const tooLarge = () => new HttpError(413, `request body is larger than ${cap} bytes (the server's --max-body-bytes)`, null, 'request_too_large');
  if (Number(req.headers['content-length']) > cap) return Promise.reject(tooLarge());
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= cap) return void chunks.push(chunk);
      // Stop reading: nothing more of this body is kept, and the answer closes the connection.
      req.off('data', onData).pause();
      reject(tooLarge());
    };
    req.on('data', onData);
    req.once('error', reject);
    req.once('end', () => {
      try {
        resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      } catch (e) {
        reject(new HttpError(400, `body is not valid JSON: ${(e as Error).message}`));
      }
    });
  });
}
