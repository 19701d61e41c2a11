import type { Multiset } from './multiset.js';
import type { FlatTree } from './tree.js';

interface SubtreeShape {
  label: string;
  items: Array<{ field: string | null; id: number }>;
  /** Verbatim text, for the odd strings of anonymous nodes (see anonymousRootText). */
  text?: string;
}

/**
 * Gives every distinct subtree S-expression (tree-sitter's `ts_node_string`, which CodeBLEU
 * compares) a small integer id. Ids are built bottom-up from the children's ids, so two
 * subtrees get the same id exactly when their S-expressions are equal, without ever building
 * the strings: the reference's strings grow with size x depth, these keys with size only.
 */
export class SubtreeInterner {
  private readonly ids = new Map<string, number>();
  private readonly shapes: SubtreeShape[] = [];

  intern(shape: SubtreeShape): number {
    let key = shape.text === undefined ? shape.label + '\u0000' : '\u0001' + shape.text;
    for (const item of shape.items) key += `${item.field ?? ''}:${item.id},`;
    let id = this.ids.get(key);
    if (id === undefined) {
      id = this.shapes.length;
      this.ids.set(key, id);
      this.shapes.push(shape);
    }
    return id;
  }

  /** The S-expression text of an interned subtree (for inspection and tests). */
  sexp(id: number): string {
    const { label, items, text: verbatim } = this.shapes[id];
    if (verbatim !== undefined) return verbatim;
    let text = '(' + label;
    for (const item of items) text += ' ' + (item.field ? item.field + ': ' : '') + this.sexp(item.id);
    return text + ')';
  }
}

/**
 * The ids of the subtrees CodeBLEU's `get_all_sub_trees` collects: the root and every node
 * with at least one child, named or not.
 */
export function collectSubtrees(tree: FlatTree, interner: SubtreeInterner): number[] {
  const count = tree.type.length;
  const ownIds = new Int32Array(count).fill(-1);
  // A printed node appears in its parent's S-expression as itself; an anonymous node passes up
  // its children's items instead, which inherit its field name.
  const passedUp: (SubtreeShape['items'] | undefined)[] = new Array(count);
  for (let node = count - 1; node >= 0; node--) {
    const items: SubtreeShape['items'] = [];
    for (const child of tree.children[node]) {
      if (isPrinted(tree, child)) {
        items.push({ field: tree.field[child], id: ownIds[child] });
        continue;
      }
      const inherited = passedUp[child];
      if (inherited) for (const item of inherited) items.push({ field: item.field ?? tree.field[child], id: item.id });
    }
    if (isPrinted(tree, node)) {
      ownIds[node] = interner.intern({ label: labelOf(tree, node), items });
      continue;
    }
    if (tree.children[node].length > 0 || node === 0) {
      ownIds[node] = interner.intern({ label: '', items: [], text: anonymousRootText(tree, node, ownIds, interner) });
    }
    passedUp[node] = items;
  }
  const collected: number[] = [ownIds[0]];
  for (let node = 1; node < count; node++) {
    if (tree.children[node].length > 0) collected.push(ownIds[node]);
  }
  return collected;
}

/**
 * `ts_node_string` of an anonymous node with children (such as `not in` or `is not`): the node
 * is not printed as a normal node, so tree-sitter opens a parenthesis it never closes and
 * treats every child as a root, e.g. `(not in("not")("in")`. The reference compares these
 * strings like any other.
 */
function anonymousRootText(tree: FlatTree, node: number, ownIds: Int32Array, interner: SubtreeInterner): string {
  let text = '(' + tree.type[node];
  for (const child of tree.children[node]) {
    if (ownIds[child] >= 0) text += interner.sexp(ownIds[child]);
    else text += `("${tree.type[child]}")`;
  }
  return text;
}

function isPrinted(tree: FlatTree, node: number): boolean {
  return tree.named[node] || tree.missing[node];
}

function labelOf(tree: FlatTree, node: number): string {
  const type = tree.type[node];
  if (tree.missing[node]) return tree.named[node] ? `MISSING ${type}` : `MISSING "${type}"`;
  if (type === 'ERROR' && tree.children[node].length === 0 && tree.end[node] > tree.start[node]) {
    return 'UNEXPECTED ' + describeCharacter(tree.source.codePointAt(tree.start[node]) ?? -1);
  }
  return type;
}

/** How tree-sitter prints the character an ERROR leaf starts with. */
function describeCharacter(codePoint: number): string {
  const escapes: Record<number, string> = { 0: "'\\0'", 10: "'\\n'", 9: "'\\t'", 13: "'\\r'" };
  if (escapes[codePoint]) return escapes[codePoint];
  if (codePoint >= 32 && codePoint < 127) return `'${String.fromCharCode(codePoint)}'`;
  return String(codePoint);
}

/** Counts for one (candidate, reference) pair: reference subtrees (repeats counted) found among the candidate's. */
export function matchSubtrees(candidate: Multiset<number>, reference: Multiset<number>): { matched: number; total: number } {
  let matched = 0;
  for (const [id, count] of reference.counts) if (candidate.counts.has(id)) matched += count;
  return { matched, total: reference.size };
}
