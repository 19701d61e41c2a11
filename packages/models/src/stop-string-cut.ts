import type { TextTokenizer } from './tokenizer.js';

/** Tokens past a stop string's length in the decoded tail, for a first token whose decoding differs there (a stripped leading space, half a character). */
const TAIL_MARGIN = 16;

/**
 * The completion `ids` decode to, cut before its first stop string, or undefined while it holds
 * none. Called after every new token, it decodes the whole completion only when the decoded tail
 * holds a stop string: one that ends with the newest token lies within the last 3 x its length
 * tokens (a UTF-16 unit is at most 3 UTF-8 bytes, one byte-fallback token each), and one that ended
 * earlier would have stopped the row then. So a step costs a short decode, not one of everything
 * generated so far (for 512 new tokens the whole decode was ~100 us a row and step).
 */
export function stopStringCut(tokenizer: TextTokenizer, ids: number[], stops: string[]): string | undefined {
  const window = 3 * Math.max(...stops.map((s) => s.length)) + TAIL_MARGIN;
  if (ids.length > window && !holdsStop(tokenizer.decode(ids.slice(-window)), stops)) return undefined;
  const text = tokenizer.decode(ids);
  const at = Math.min(...stops.map((s) => text.indexOf(s)).filter((i) => i >= 0));
  return Number.isFinite(at) ? text.slice(0, at) : undefined;
}

const holdsStop = (text: string, stops: string[]) => stops.some((s) => text.includes(s));
