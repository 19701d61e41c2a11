import type { FlatTree } from './tree.js';

/** The node types the reference takes as one token whatever their children, in every language. */
export const REFERENCE_SINGLE_TOKEN_TYPES: ReadonlySet<string> = new Set(['string_literal', 'string', 'character_literal']);

/**
 * The code tokens CodeBLEU's data-flow step works on (`tree_to_token_index` and
 * `index_to_code_token`): leaves in source order, where a string literal counts as one leaf
 * and comments are skipped. Two leaves with the same span share one entry (the later wins),
 * as in the reference's dictionary keyed by (start point, end point).
 */
export interface TokenTable {
  /** Token ordinal of a leaf node (-1 for a leaf without a token, -2 for other nodes). */
  index: number[];
  /** Token text of a leaf node, as the reference extracts it ('' without a token; unset for other nodes). */
  text: string[];
  isLeaf(node: number): boolean;
}

/** TokenTable.index of a node that is not a leaf. */
const NOT_A_LEAF = -2;

export function buildTokenTable(tree: FlatTree, singleTokenTypes: ReadonlySet<string>): TokenTable {
  const count = tree.size;
  const { type: types, firstChild, start: starts, end: ends, source } = tree;
  // Plain arrays: typed arrays of more than 64 bytes live outside V8's heap, and allocating
  // and freeing those for every snippet costs more than filling these. Whether a node is a leaf
  // is in its index, and only leaves get a text: one array filled (10 % faster than three).
  const index: number[] = new Array(count).fill(NOT_A_LEAF);
  const text: string[] = new Array(count);
  // Most code is ASCII, where the reference's cut is a plain slice (see tokenTextReader).
  const readText = isAscii(source) ? null : tokenTextReader(source);
  // Ids are in pre-order, so ascending ids visit the leaves in source order; the descendants
  // of a single-token node and of a comment are the ids up to its last descendant.
  let leafCount = 0;
  let skipThrough = -1;
  // Only empty leaves can share a span (non-empty leaves do not overlap); the later one wins.
  let emptyLeaves: Map<number, number[]> | null = null;
  for (let node = 0; node < count; node++) {
    const type = types[node];
    const hasChildren = firstChild[node] >= 0;
    if (type === 'comment' || (hasChildren && !singleTokenTypes.has(type))) {
      if (type === 'comment' && node > skipThrough) skipThrough = lastDescendant(tree, node);
      continue;
    }
    // Leaves inside a comment or a single-token node are leaves too, but without a token.
    if (node <= skipThrough) {
      index[node] = -1;
      text[node] = '';
      continue;
    }
    if (hasChildren) skipThrough = lastDescendant(tree, node);
    index[node] = leafCount++;
    const start = starts[node];
    const end = ends[node];
    text[node] = readText ? readText(start, end) : asciiTokenText(source, start, end, type);
    if (start === end) {
      emptyLeaves ??= new Map();
      const sharing = emptyLeaves.get(start);
      if (sharing) sharing.push(node);
      else emptyLeaves.set(start, [node]);
    }
  }
  for (const sharing of emptyLeaves?.values() ?? []) {
    const last = sharing[sharing.length - 1];
    for (const node of sharing) index[node] = index[last];
  }
  return new Tokens(index, text);
}

/** A class rather than a closure per table: one allocation less for every snippet. */
class Tokens implements TokenTable {
  constructor(
    readonly index: number[],
    readonly text: string[],
  ) {}

  isLeaf(node: number): boolean {
    return this.index[node] !== NOT_A_LEAF;
  }
}

function lastDescendant(tree: FlatTree, node: number): number {
  let last = node;
  while (tree.lastChild[last] >= 0) last = tree.lastChild[last];
  return last;
}

/** `tree_to_variable_index`: the leaves under `node` whose text differs from their node type. */
export function variableLeaves(tree: FlatTree, tokens: TokenTable, node: number): number[] {
  const found: number[] = [];
  // Ids are in pre-order: the subtree is the ids from `node` to its last descendant, in source order.
  const last = lastDescendant(tree, node);
  for (let current = node; current <= last; current++) {
    if (!tokens.isLeaf(current)) continue;
    if (tokens.text[current] !== tree.type[current]) found.push(current);
    // A single-token node (a string) is one leaf: its own children are skipped.
    current = lastDescendant(tree, current);
  }
  return found;
}

/**
 * Returns a function giving the text between two UTF-16 offsets the way the reference cuts it:
 * tree-sitter reports (row, UTF-8 byte column), the reference slices the Python `str` of that
 * row by code point with that byte column, and joins the rows of a multi-line token without
 * the newlines. On ASCII rows this is plain slicing; on the others the shifted slice is
 * reproduced through the row's column tables (made once per row, when first needed). An ASCII
 * text is cut by asciiTokenText instead (buildTokenTable checks).
 */
export function tokenTextReader(source: string): (start: number, end: number) => string {
  const lines = source.split('\n');
  const lineStarts = [0];
  for (let i = source.indexOf('\n'); i >= 0; i = source.indexOf('\n', i + 1)) lineStarts.push(i + 1);
  const asciiRows = lines.map(isAscii);
  const tables: (RowColumns | undefined)[] = [];
  const columnsOf = (row: number) => (tables[row] ??= rowColumns(lines[row]));
  const rowOf = (offset: number) => {
    let low = 0;
    let high = lineStarts.length - 1;
    while (low < high) {
      const middle = (low + high + 1) >> 1;
      if (lineStarts[middle] <= offset) low = middle;
      else high = middle - 1;
    }
    return low;
  };
  const byteColumn = (row: number, offset: number) => {
    const column = offset - lineStarts[row];
    return asciiRows[row] ? column : columnsOf(row).bytes[column];
  };
  // Code points `from` to `to` of a row (to its end without `to`), clamped as Python slices.
  const piece = (row: number, from: number, to?: number) => {
    if (asciiRows[row]) return lines[row].slice(from, to);
    const { units } = columnsOf(row);
    const last = units.length - 1;
    return lines[row].slice(units[Math.min(from, last)], to === undefined ? undefined : units[Math.min(to, last)]);
  };
  return (start, end) => {
    const fromRow = rowOf(start);
    const toRow = rowOf(end);
    const from = byteColumn(fromRow, start);
    const to = byteColumn(toRow, end);
    if (fromRow === toRow) return piece(fromRow, from, to);
    let text = piece(fromRow, from);
    for (let row = fromRow + 1; row < toRow; row++) text += lines[row];
    return text + piece(toRow, 0, to);
  };
}

/** A row's UTF-8 byte column at each UTF-16 column (and its end), and the UTF-16 column where each code point starts (and the end). */
interface RowColumns {
  bytes: number[];
  units: number[];
}

function rowColumns(line: string): RowColumns {
  const bytes: number[] = [];
  const units: number[] = [];
  let byte = 0;
  for (let unit = 0; unit < line.length; ) {
    const codePoint = line.codePointAt(unit) as number;
    const width = codePoint > 0xffff ? 2 : 1;
    units.push(unit);
    for (let k = 0; k < width; k++) bytes.push(byte);
    byte += codePoint < 0x80 ? 1 : codePoint < 0x800 ? 2 : width === 1 ? 3 : 4;
    unit += width;
  }
  bytes.push(byte);
  units.push(line.length);
  return { bytes, units };
}

function isAscii(source: string): boolean {
  // eslint-disable-next-line no-control-regex
  return /^[\x00-\x7f]*$/.test(source);
}

function asciiTokenText(source: string, start: number, end: number, type: string): string {
  // Most leaves are keywords and punctuation, whose text is their type: no new string for those.
  if (end - start === type.length && source.startsWith(type, start)) return type.includes('\n') ? type.replaceAll('\n', '') : type;
  const text = source.slice(start, end);
  return text.includes('\n') ? text.replaceAll('\n', '') : text;
}
