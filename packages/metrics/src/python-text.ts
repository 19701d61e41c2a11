// Python's notion of whitespace (`str.isspace`), which `str.strip()` and `str.split()` use.
// It differs from JavaScript's `\s`: it includes U+001C..U+001F and U+0085 and excludes U+FEFF.
const PY_SPACE_CLASS = '[\\t\\n\\x0b\\x0c\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]';
const LEADING = new RegExp(`^${PY_SPACE_CLASS}+`);
const TRAILING = new RegExp(`${PY_SPACE_CLASS}+$`);
const RUNS = new RegExp(`${PY_SPACE_CLASS}+`);
const ONLY_SPACE = new RegExp(`^${PY_SPACE_CLASS}*$`);

/** `text.strip()` */
export function pyStrip(text: string): string {
  return text.replace(LEADING, '').replace(TRAILING, '');
}

/** `text.split()`: split on whitespace runs, no empty pieces. */
export function pySplit(text: string): string[] {
  return text.split(RUNS).filter((piece) => piece !== '');
}

/** `text.strip() == ''` */
export function pyIsBlank(text: string): boolean {
  // Most lines start with a printable ASCII character, which settles it without the pattern.
  const first = text.charCodeAt(0);
  if (first > 0x20 && first < 0x7f) return false;
  return ONLY_SPACE.test(text);
}
