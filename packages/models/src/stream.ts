/**
 * The part of a completion that is safe to stream while decoding goes on: text that could still
 * turn out to be the start of a stop string, and a trailing torn UTF-8 character (decoded as
 * U+FFFD until its last byte arrives), are held back; text from a stop string on is never sent.
 */
export function streamablePrefix(text: string, stop: readonly string[]): string {
  const hold = Math.max(0, ...stop.map((s) => s.length - 1));
  // The token just picked may complete a stop string: generation cuts there right after.
  const found = stop.map((s) => text.indexOf(s)).filter((i) => i >= 0);
  let end = Math.min(Math.max(0, text.length - hold), ...found);
  while (end > 0 && text[end - 1] === '\uFFFD') end--;
  return text.slice(0, end);
}
