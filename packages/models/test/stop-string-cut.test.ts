// stopStringCut decodes only a tail of the completion at each step; generation must still stop at
// the same token with the same text as when the whole completion is decoded every time.
import { mulberry32 } from '@codistill/util';
import { TextTokenizer, type TextTokenizer as Tokenizer } from '../src/index.js';
import { stopStringCut } from '../src/stop-string-cut.js';
import { fixture, LLAMA2_DECODER, sentencePiece } from './helpers.js';

/** The definition: the whole completion decoded, cut before the first stop string. */
function wholeCut(tokenizer: Tokenizer, ids: number[], stops: string[]): string | undefined {
  const text = tokenizer.decode(ids);
  const at = Math.min(...stops.map((s) => text.indexOf(s)).filter((i) => i >= 0));
  return Number.isFinite(at) ? text.slice(0, at) : undefined;
}

const tokenizers: Array<[string, Tokenizer, number[]]> = [
  // Byte-level BPE (Llama 3, GPT-2): its 362 ids.
  ['byte-level BPE', TextTokenizer.fromDir(fixture('tiny-llama')), Array.from({ length: 362 }, (_, i) => i)],
  // SentencePiece with byte fallback (Llama 2): bytes that make multi-byte characters, "▁" pieces, a stripped leading space.
  ['SentencePiece', sentencePiece(LLAMA2_DECODER), Array.from({ length: 262 }, (_, i) => i + 3)],
];

test.each(tokenizers)('%s: each step stops where decoding the whole completion stops, with the same text', (_, tokenizer, ids) => {
  const random = mulberry32(7);
  const pick = <T>(xs: T[]) => xs[Math.floor(random() * xs.length)];
  let stopped = 0;
  for (let trial = 0; trial < 150; trial++) {
    const completion = Array.from({ length: 40 + Math.floor(random() * 100) }, () => pick(ids));
    // Stop strings taken from a text like the completion's, so that they occur in it now and then.
    const other = tokenizer.decode(Array.from({ length: 80 }, () => pick(ids)));
    const stops = Array.from({ length: 1 + Math.floor(random() * 3) }, () => {
      const at = Math.floor(random() * (other.length - 1));
      return other.slice(at, at + 1 + Math.floor(random() * 4));
    }).filter((s) => s.length);
    for (let n = 1; n <= completion.length; n++) {
      const expected = wholeCut(tokenizer, completion.slice(0, n), stops);
      expect(stopStringCut(tokenizer, completion.slice(0, n), stops)).toBe(expected);
      if (expected !== undefined) {
        stopped++;
        break; // generation ends here
      }
    }
  }
  expect(stopped).toBeGreaterThan(50); // the comparison covered stops, not only rows that ran on
});
