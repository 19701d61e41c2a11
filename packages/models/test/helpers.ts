import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Tokenizer } from '@huggingface/tokenizers';
import { hostTensor, type HostTensor, type Runner } from '@codistill/graph';
import { TextTokenizer } from '../src/index.js';

export const fixture = (...parts: string[]): string => path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', ...parts);

export { maxRelativeError as relativeError } from '@codistill/graph';

export const ones = (dims: number[]): HostTensor => hostTensor('int64', dims, new Array(dims[0] * dims[1]).fill(1));

/** Rows [row] of an int64 [B, T] tensor as numbers. */
export const row = (t: HostTensor, r: number): number[] => {
  const T = t.dims[1];
  return Array.from((t.data as BigInt64Array).subarray(r * T, (r + 1) * T), Number);
};

/** Outputs of one run. */
export const run = async (runner: Runner, feeds: Record<string, HostTensor>): Promise<Record<string, HostTensor>> => (await runner.run(feeds)).outputs;

/** Llama 2's decoder: "▁" is a space, byte-fallback pieces are bytes, and a text's leading space is stripped. */
export const LLAMA2_DECODER = { type: 'Sequence', decoders: [{ type: 'Replace', pattern: { String: '▁' }, content: ' ' }, { type: 'ByteFallback' }, { type: 'Fuse' }, { type: 'Strip', content: ' ', start: 1, stop: 0 }] };

/** A SentencePiece-style tokenizer.json (Llama 2, Mistral): "▁" for spaces, <0xNN> byte-fallback pieces. */
export function sentencePiece(decoder: object): TextTokenizer {
  const special = ['<unk>', '<s>', '</s>'];
  const vocab: Record<string, number> = Object.fromEntries(special.map((s, i) => [s, i]));
  for (let b = 0; b < 256; b++) vocab[`<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`] = special.length + b;
  for (const piece of ['▁', 'h', 'i', '▁h', '▁hi', 'é']) vocab[piece] = Object.keys(vocab).length;
  const json = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: special.map((content, id) => ({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true })),
    normalizer: { type: 'Sequence', normalizers: [{ type: 'Prepend', prepend: '▁' }, { type: 'Replace', pattern: { String: ' ' }, content: '▁' }] },
    pre_tokenizer: null,
    post_processor: null,
    decoder,
    model: { type: 'BPE', dropout: null, unk_token: '<unk>', continuing_subword_prefix: null, end_of_word_suffix: null, fuse_unk: true, byte_fallback: true, ignore_merges: false, vocab, merges: [['▁', 'h'], ['▁h', 'i']] },
  };
  return new TextTokenizer(new Tokenizer(json, {}), {});
}
