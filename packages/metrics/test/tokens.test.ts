import { tokenTextReader } from '../src/tokens.js';

/**
 * The reference's cut, spelled out as it does it: tree-sitter's (row, UTF-8 byte column) of
 * both ends, the byte columns used as code point indices into the row's Python string (slices
 * past the end clamp), the rows of a multi-line token joined without their newlines.
 */
function referenceCut(source: string, start: number, end: number): string {
  const rows = source.split('\n');
  const point = (offset: number) => {
    let row = 0;
    let rowStart = 0;
    while (row < rows.length - 1 && rowStart + rows[row].length < offset) {
      rowStart += rows[row].length + 1;
      row++;
    }
    return { row, column: Buffer.byteLength(rows[row].slice(0, offset - rowStart), 'utf8') };
  };
  const codePoints = (row: number) => Array.from(rows[row]);
  const from = point(start);
  const to = point(end);
  if (from.row === to.row) return codePoints(from.row).slice(from.column, to.column).join('');
  let text = codePoints(from.row).slice(from.column).join('');
  for (let row = from.row + 1; row < to.row; row++) text += rows[row];
  return text + codePoints(to.row).slice(0, to.column).join('');
}

/** Offsets that start a code point (tree-sitter's nodes never start or end inside one). */
function boundaries(source: string): number[] {
  const offsets: number[] = [];
  for (let offset = 0; offset < source.length; offset += source.codePointAt(offset)! > 0xffff ? 2 : 1) offsets.push(offset);
  offsets.push(source.length);
  return offsets;
}

describe('tokenTextReader', () => {
  const sources = [
    'x = "héllo wörld 🙂"; y = x',
    'naïve = 1\nplain = 2\n s = "日本語 ✓"\nend',
    'a = """multi\nline ü\ntext 🙂🙂"""\nb',
    'pure ascii\nrows only\n',
    '🙂\n\n€\u00e9x',
  ];
  test.each(sources)('cuts every span of %j as the reference does', (source) => {
    const read = tokenTextReader(source);
    const offsets = boundaries(source);
    for (const start of offsets) {
      for (const end of offsets) {
        if (end >= start) expect([start, end, read(start, end)]).toEqual([start, end, referenceCut(source, start, end)]);
      }
    }
  });
});
