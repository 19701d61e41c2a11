import type { FlatTree } from './tree.js';

/**
 * The code tokens CodeBLEU's data-flow step works on (`tree_to_token_index` and
 * `index_to_code_token`): leaves in source order, where a string literal counts as one leaf
 * and comments are skipped. Two leaves with the same span share one entry (the later wins),
 * as in the reference's dictionary keyed by (start point, end point).
 */
export interface TokenTable {
  /** Token ordinal of a leaf node (-1 for non-leaves). */
  index: Int32Array;
  /** Token text of a leaf node, as the reference extracts it. */
  text: string[];
  isLeaf(node: number): boolean;
}

export function buildTokenTable(tree: FlatTree, singleTokenTypes: ReadonlySet<string>): TokenTable {
  const isLeaf = (node: number) =>
    (tree.children[node].length === 0 || singleTokenTypes.has(tree.type[node])) && tree.type[node] !== 'comment';
  const readText = tokenTextReader(tree.source);
  const bySpan = new Map<number, { index: number; text: string }>();
  const spanKey = (node: number) => tree.start[node] * (tree.source.length + 1) + tree.end[node];
  const leaves: number[] = [];
  const stack = [0];
  while (stack.length) {
    const node = stack.pop()!;
    if (isLeaf(node)) {
      bySpan.set(spanKey(node), { index: leaves.length, text: readText(tree.start[node], tree.end[node]) });
      leaves.push(node);
    } else if (tree.type[node] !== 'comment') {
      const children = tree.children[node];
      for (let i = children.length - 1; i >= 0; i--) stack.push(children[i]);
    }
  }
  const index = new Int32Array(tree.type.length).fill(-1);
  const text: string[] = new Array(tree.type.length).fill('');
  for (const leaf of leaves) {
    const entry = bySpan.get(spanKey(leaf))!;
    index[leaf] = entry.index;
    text[leaf] = entry.text;
  }
  return { index, text, isLeaf };
}

/** `tree_to_variable_index`: the leaves under `node` whose text differs from their node type. */
export function variableLeaves(tree: FlatTree, tokens: TokenTable, node: number): number[] {
  const found: number[] = [];
  const stack = [node];
  while (stack.length) {
    const current = stack.pop()!;
    if (tokens.isLeaf(current)) {
      if (tokens.text[current] !== tree.type[current]) found.push(current);
    } else {
      const children = tree.children[current];
      for (let i = children.length - 1; i >= 0; i--) stack.push(children[i]);
    }
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
  // eslint-disable-next-line no-control-regex
  if (/^[\x00-\x7f]*$/.test(source)) return (start, end) => source.slice(start, end).replaceAll('\n', '');
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
