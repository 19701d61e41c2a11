// A loopback server speaking the OpenAI chat-completions protocol (JSON and SSE streaming), with
// scripted faults, so the teacher client is tested against real HTTP without a model.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createNetServer, type AddressInfo } from 'node:net';

export type Fault =
  | { kind: 'ok' }
  | { kind: 'slow'; delayMs: number }
  | { kind: 'rate-limit'; retryAfter: string }
  | { kind: 'server-error'; status?: number }
  | { kind: 'bad-request' }
  | { kind: 'unauthorized' }
  | { kind: 'cut' }
  /** Sends the first piece of a stream (nothing for JSON), then never finishes: a request in flight to cut off. */
  | { kind: 'stall' }
  | { kind: 'malformed' }
  | { kind: 'content'; text: string };

export interface FakeTeacherOptions {
  /** Faults for the first requests, in arrival order; later requests get `then`. */
  faults?: Fault[];
  /** What requests after the scripted faults get (default ok): e.g. a server that only answers 429. */
  then?: Fault;
  /** The answer an `ok` request gets; by default a clean context for the problem id in the prompt, mentioning the request number. */
  answer?: (request: ChatRequest, index: number) => string;
  /** Delay before every response (lets tests kill a run part way). */
  latencyMs?: number;
}

export interface ChatRequest {
  model: string;
  stream?: boolean;
  messages: Array<{ role: string; content: string }>;
  stream_options?: { include_usage?: boolean };
}

export interface FakeTeacher {
  url: string;
  requests: Array<{ body: ChatRequest; authorization?: string; fault: Fault['kind'] }>;
  close(): Promise<void>;
}

/** The problem id the prompt asks the teacher to echo, read from the prompt as a model would. */
export function problemIdOf(request: ChatRequest): string | undefined {
  return /### Problem id\n(.+)\n/.exec(request.messages.at(-1)?.content ?? '')?.[1];
}

export function cleanAnswer(index: number, problemId?: string): string {
  return JSON.stringify({
    ...(problemId !== undefined && { problem_id: problemId }),
    intent: `Count what the question asks for (request ${index}).`,
    steps: ['Read the input values.', 'Combine them with the counting rule described below.', 'Print the result.'],
    formulas: 'C(n, k) = n! / (k! (n - k)!)',
    edge_cases: 'The smallest allowed n, where only one arrangement exists.',
    libraries: 'The math module offers exact integer combinatorics, which avoids overflow and manual loops.',
  });
}

export async function startFakeTeacher(options: FakeTeacherOptions = {}): Promise<FakeTeacher> {
  const faults = [...(options.faults ?? [])];
  const requests: FakeTeacher['requests'] = [];
  const answer = options.answer ?? ((request, i) => cleanAnswer(i, problemIdOf(request)));
  const open = new Set<import('node:net').Socket>();
  // Pending delays end with the server, so a closed fake never keeps the test process alive.
  const timers = new Set<NodeJS.Timeout>();
  const delay = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(() => (timers.delete(timer), resolve()), ms);
      timers.add(timer);
    });

  const server: Server = createServer(async (req, res) => {
    const body = JSON.parse(await readBody(req)) as ChatRequest;
    const fault = faults.shift() ?? options.then ?? { kind: 'ok' };
    const index = requests.length;
    requests.push({ body, authorization: req.headers.authorization, fault: fault.kind });
    if (options.latencyMs) await delay(options.latencyMs);
    respond(req, res, body, fault, answer(body, index), delay).catch(() => res.destroy());
  });
  server.on('connection', (socket) => {
    open.add(socket);
    socket.on('close', () => open.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    requests,
    close: () =>
      new Promise((resolve) => {
        for (const timer of timers) clearTimeout(timer);
        for (const socket of open) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

async function respond(req: IncomingMessage, res: ServerResponse, body: ChatRequest, fault: Fault, text: string, delay: (ms: number) => Promise<void>): Promise<void> {
  switch (fault.kind) {
    case 'slow':
      await delay(fault.delayMs);
      break;
    case 'rate-limit':
      return json(res, 429, { error: { message: 'Rate limit reached', type: 'rate_limit_error' } }, { 'retry-after': fault.retryAfter });
    case 'server-error':
      return json(res, fault.status ?? 500, { error: { message: 'Internal server error', type: 'server_error' } });
    case 'bad-request':
      return json(res, 400, { error: { message: 'model not found', type: 'invalid_request_error' } });
    case 'unauthorized':
      return json(res, 401, { error: { message: 'Incorrect API key provided', type: 'invalid_request_error' } });
    case 'malformed':
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(body.stream ? 'data: {"choices": [{"delta": {"content": "x"\n\n' : '{"id": "chatcmpl-1", "choices": [');
      return;
    case 'cut':
      if (!body.stream) {
        req.socket.destroy();
        return;
      }
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(sse(chunk(body, { role: 'assistant', content: text.slice(0, 10) }, null)));
      await delay(5);
      req.socket.destroy();
      return;
    case 'stall':
      if (body.stream) {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.write(sse(chunk(body, { role: 'assistant', content: text.slice(0, 40) }, null)));
      }
      return; // never finishes; the socket is destroyed when the client gives up or the server closes
    case 'content':
      text = fault.text;
      break;
  }
  const usage = { prompt_tokens: Math.ceil(JSON.stringify(body.messages).length / 4), completion_tokens: Math.ceil(text.length / 4) };
  if (!body.stream) {
    return json(res, 200, {
      id: 'chatcmpl-fake', object: 'chat.completion', created: 0, model: body.model,
      choices: [{ index: 0, message: { role: 'assistant', content: text }, finish_reason: 'stop' }],
      usage: { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens },
    });
  }
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  const pieces = text.match(/[\s\S]{1,16}/g) ?? [];
  res.write(sse(chunk(body, { role: 'assistant', content: '' }, null)));
  for (const piece of pieces) res.write(sse(chunk(body, { content: piece }, null)));
  res.write(sse(chunk(body, {}, 'stop')));
  if (body.stream_options?.include_usage) res.write(sse({ ...chunk(body, {}, null), choices: [], usage: { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens } }));
  res.end('data: [DONE]\n\n');
}

function chunk(body: ChatRequest, delta: object, finish: string | null) {
  return { id: 'chatcmpl-fake', object: 'chat.completion.chunk', created: 0, model: body.model, choices: [{ index: 0, delta, finish_reason: finish }] };
}

const sse = (data: object) => `data: ${JSON.stringify(data)}\n\n`;

function json(res: ServerResponse, status: number, data: object, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(data));
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let data = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (data += c));
    req.on('end', () => resolve(data));
    req.on('error', reject);
  });
}

/** A loopback URL where nothing listens: every connection is refused. */
export async function deadURL(): Promise<string> {
  const server = createNetServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return `http://127.0.0.1:${port}/v1`;
}
