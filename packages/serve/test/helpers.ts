import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeRandomLlama } from '@codistill/models';

const here = path.dirname(fileURLToPath(import.meta.url));

/** A tiny Llama checkpoint (file or folder in it), shipped once in @codistill/models' tests. */
export const tinyLlama = (...parts: string[]): string => path.join(here, '..', '..', 'models', 'test', 'fixtures', 'tiny-llama', ...parts);

/** A copy of the tiny Llama in a temp folder whose tokenizer has `chatTemplate`; `remove` deletes it. */
export function tinyLlamaWithTemplate(chatTemplate: string, opts: { bos?: boolean } = {}): { model: string; remove: () => void } {
  const model = mkdtempSync(path.join(tmpdir(), 'serve-template-'));
  for (const file of ['config.json', 'generation_config.json', 'model.safetensors', 'tokenizer.json']) copyFileSync(tinyLlama(file), path.join(model, file));
  writeFileSync(path.join(model, 'tokenizer_config.json'), JSON.stringify({ chat_template: chatTemplate, ...(opts.bos ? { bos_token: '<s>' } : {}) }));
  // With `bos`, encoding adds BOS as Llama's tokenizers do (the fixture's adds nothing).
  if (opts.bos) {
    const json = JSON.parse(readFileSync(tinyLlama('tokenizer.json'), 'utf8'));
    json.post_processor = { type: 'TemplateProcessing', single: [{ SpecialToken: { id: '<s>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }], pair: [{ Sequence: { id: 'A', type_id: 0 } }], special_tokens: { '<s>': { id: '<s>', ids: [0], tokens: ['<s>'] } } };
    writeFileSync(path.join(model, 'tokenizer.json'), JSON.stringify(json));
  }
  return { model, remove: () => rmSync(model, { recursive: true, force: true }) };
}

/** Tokens a long request asks for: about a second here, so it is still running when a test disconnects or stops the server. */
export const LONG = 2000;

/**
 * A random Llama with 2048 positions and no EOS token in a temp folder (every request runs to its
 * max_tokens), written before the file's tests and removed after them; and the requests the
 * lifecycle tests send it. The served name defaults to the model path exactly as given (vLLM's default).
 */
export function randomServedModel(prefix: string) {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  const model = path.join(dir, 'rand-llama');
  beforeAll(() => {
    writeRandomLlama(model, { vocab_size: 384, hidden_size: 64, intermediate_size: 128, num_hidden_layers: 2, num_attention_heads: 4, num_key_value_heads: 2 });
    copyFileSync(tinyLlama('tokenizer.json'), path.join(model, 'tokenizer.json'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const completion = (maxTokens: number, stream = false) => ({ model, prompt: 'def f(x):', max_tokens: maxTokens, temperature: 0, stream, ...(stream && { stream_options: { include_usage: true } }) });
  return { model, completion };
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- loose JSON on purpose
export type Json = Record<string, any>;

export const post = (url: string, body: object, signal?: AbortSignal) =>
  fetch(`${url}/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), signal });

/** Reads a streamed answer up to its first event (at least one token generated), leaving the rest to `rest`. */
export async function firstEvent(res: Response): Promise<{ rest: () => Promise<string> }> {
  expect(res.status).toBe(200);
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let text = '';
  while (!text.includes('\n\n')) text += decoder.decode((await reader.read()).value);
  return {
    rest: async () => {
      for (let r = await reader.read(); !r.done; r = await reader.read()) text += decoder.decode(r.value);
      return text;
    },
  };
}

/** Polls `done` for up to 30 s (a busy machine, or a CLI starting on one, is slow). */
export async function until(done: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 1200 && !done(); i++) await new Promise((r) => setTimeout(r, 25));
  if (!done()) throw new Error(`timed out waiting for ${what}`);
}
