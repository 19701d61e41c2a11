// Python's notion of whitespace (`str.isspace`), which `str.strip()` and `str.split()` use.
// It differs from JavaScript's `\s`: it includes U+001C..U+001F and U+0085 and excludes U+FEFF.

/** `str.isspace` of one UTF-16 unit (none of Python's whitespace lies outside the BMP). */
function isPySpace(unit: number): boolean {
  if (unit <= 0x20) return unit === 0x20 || (unit >= 0x09 && unit <= 0x0d) || (unit >= 0x1c && unit <= 0x1f);
  if (unit < 0x85) return false;
  return (
    unit === 0x85 ||
    unit === 0xa0 ||
    unit === 0x1680 ||
    (unit >= 0x2000 && unit <= 0x200a) ||
    unit === 0x2028 ||
    unit === 0x2029 ||
    unit === 0x202f ||
    unit === 0x205f ||
    unit === 0x3000
  );
}

/** `text.strip()` */
export function pyStrip(text: string): string {
  let start = 0;
  let end = text.length;
  while (start < end && isPySpace(text.charCodeAt(start))) start++;
  while (end > start && isPySpace(text.charCodeAt(end - 1))) end--;
  return start === 0 && end === text.length ? text : text.slice(start, end);
}

/** `text.split()`: split on whitespace runs, no empty pieces. */
export function pySplit(text: string): string[] {
  const pieces: string[] = [];
  let start = -1;
  for (let i = 0; i < text.length; i++) {
    if (!isPySpace(text.charCodeAt(i))) {
      if (start < 0) start = i;
    } else if (start >= 0) {
      pieces.push(text.slice(start, i));
      start = -1;
    }
  }
  if (start >= 0) pieces.push(text.slice(start));
  return pieces;
}

/** `'\n'.join(line for line in text.split('\n') if line.strip())` */
export function dropBlankLines(text: string): string {
  // Most texts have no blank line: they come back as they are, without a copy.
  let kept: string | null = null;
  for (let start = 0; start <= text.length; ) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    const blank = isBlankRange(text, start, end);
    if (blank && kept === null) kept = text.slice(0, Math.max(0, start - 1));
    else if (!blank && kept !== null) kept += (kept === '' ? '' : '\n') + text.slice(start, end);
    start = end + 1;
  }
  return kept ?? text;
}

function isBlankRange(text: string, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if (!isPySpace(text.charCodeAt(i))) return false;
  return true;
}
