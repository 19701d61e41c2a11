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
  /** Token ordinal of a leaf node (-1 for non-leaves). */
  index: number[];
  /** Token text of a leaf node, as the reference extracts it. */
  text: string[];
  isLeaf(node: number): boolean;
}

export function buildTokenTable(tree: FlatTree, singleTokenTypes: ReadonlySet<string>): TokenTable {
  const count = tree.size;
  const { type: types, firstChild, start: starts, end: ends, source } = tree;
  // Plain arrays: typed arrays of more than 64 bytes live outside V8's heap, and allocating
  // and freeing those for every snippet costs more than filling these.
  const leaf: boolean[] = new Array(count).fill(false);
  const index: number[] = new Array(count).fill(-1);
  const text: string[] = new Array(count).fill('');
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
    leaf[node] = true;
    if (node <= skipThrough) continue;
    if (hasChildren) skipThrough = lastDescendant(tree, node);
    index[node] = leafCount++;
    const start = starts[node];
    const end = ends[node];
    text[node] = readText ? readText(start, end) : asciiTokenText(source, start, end);
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
  return new Tokens(index, text, leaf);
}

/** A class rather than a closure per table: one allocation less for every snippet. */
class Tokens implements TokenTable {
  constructor(
    readonly index: number[],
    readonly text: string[],
    private readonly leaf: boolean[],
  ) {}

  isLeaf(node: number): boolean {
    return this.leaf[node];
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
 * the newlines. On ASCII text this is plain slicing; elsewhere the shifted slice is reproduced.
 */
export function tokenTextReader(source: string): (start: number, end: number) => string {
  if (isAscii(source)) return (start, end) => asciiTokenText(source, start, end);
  const lineStarts = [0];
  for (let i = source.indexOf('\n'); i >= 0; i = source.indexOf('\n', i + 1)) lineStarts.push(i + 1);
  const lines = source.split('\n');
  const codePoints = lines.map((line) => Array.from(line));
  const point = (offset: number) => {
    let low = 0;
    let high = lineStarts.length - 1;
    while (low < high) {
      const middle = (low + high + 1) >> 1;
      if (lineStarts[middle] <= offset) low = middle;
      else high = middle - 1;
    }
    const byteColumn = Buffer.byteLength(lines[low].slice(0, offset - lineStarts[low]), 'utf8');
    return { row: low, column: byteColumn };
  };
  return (start, end) => {
    const from = point(start);
    const to = point(end);
    if (from.row === to.row) return codePoints[from.row].slice(from.column, to.column).join('');
    let text = codePoints[from.row].slice(from.column).join('');
    for (let row = from.row + 1; row < to.row; row++) text += lines[row];
    return text + codePoints[to.row].slice(0, to.column).join('');
  };
}

function isAscii(source: string): boolean {
  // eslint-disable-next-line no-control-regex
  return /^[\x00-\x7f]*$/.test(source);
}

function asciiTokenText(source: string, start: number, end: number): string {
  const text = source.slice(start, end);
  return text.includes('\n') ? text.replaceAll('\n', '') : text;
}
