import { countPresent, type SortedIds } from './multiset.js';
import { codeFor, SequenceInterner } from './sequence-interner.js';
import type { FlatTree } from './tree.js';

type Items = Array<{ field: string | null; id: number }>;

interface SubtreeShape {
  label: string;
  items: Items;
  /** Verbatim text, for the odd strings of anonymous nodes (see anonymousRootText). */
  text?: string;
}

// Field codes share a number with child ids (id * FIELD_CODES + field code); tree-sitter field
// ids are 16-bit, so a grammar cannot have more names.
const FIELD_CODES = 0x10000;

/**
 * The items of the node being interned, in two parallel arrays reused from node to node (no
 * allocation per node): most nodes' shapes have been seen before and need no copy of them.
 */
const itemIds: number[] = [];
const itemFields: (string | null)[] = [];
/** Interned id of each node of the tree being collected (-1 for anonymous leaves), reused likewise. */
const ownIds: number[] = [];

/**
 * Gives every distinct subtree S-expression (tree-sitter's `ts_node_string`, which CodeBLEU
 * compares) a small integer id. Ids are built bottom-up from the children's ids, so two
 * subtrees get the same id exactly when their S-expressions are equal, without ever building
 * the strings: the reference's strings grow with size x depth. A shape is looked up by its label
 * and then one numeric key per item, which is cheaper than building a key string for each node.
 */
export class SubtreeInterner {
  private readonly sequences = new SequenceInterner();
  /** Codes of labels (even) and of verbatim texts (odd), the first number of a shape's sequence. */
  private readonly labelCodes = new Map<string, number>();
  private readonly textCodes = new Map<string, number>();
  private readonly fieldCodes = new Map<string, number>();
  private readonly shapes: SubtreeShape[] = [];

  /** The id of the shape `label` + the first `itemCount` items of itemIds/itemFields. */
  intern(label: string, itemCount: number): number {
    let at = this.sequences.step(this.sequences.start(), 2 * codeFor(this.labelCodes, label));
    for (let item = 0; item < itemCount; item++) {
      at = this.sequences.step(at, itemIds[item] * FIELD_CODES + this.fieldCode(itemFields[item]));
    }
    const id = this.sequences.end(at);
    if (id === this.shapes.length) this.shapes.push({ label, items: copyItems(itemCount) });
    return id;
  }

  internText(text: string): number {
    const id = this.sequences.end(this.sequences.step(this.sequences.start(), 2 * codeFor(this.textCodes, text) + 1));
    if (id === this.shapes.length) this.shapes.push({ label: '', items: [], text });
    return id;
  }

  /** 0 for no field, then 1, 2, ... in order of first use. */
  private fieldCode(field: string | null): number {
    if (field === null) return 0;
    const code = codeFor(this.fieldCodes, field) + 1;
    if (code >= FIELD_CODES) throw new Error(`More than ${FIELD_CODES - 1} field names in one grammar`);
    return code;
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

function copyItems(count: number): Items {
  const items: Items = new Array(count);
  for (let item = 0; item < count; item++) items[item] = { field: itemFields[item], id: itemIds[item] };
  return items;
}

/**
 * Puts the items of `node` into itemIds/itemFields and returns their number. A printed child
 * is one item; an anonymous child with children passes up its own items instead, which
 * inherit its field name.
 */
function gatherItems(tree: FlatTree, node: number, passedUp: (Items | undefined)[]): number {
  let count = 0;
  for (let child = tree.firstChild[node]; child >= 0; child = tree.nextSibling[child]) {
    if (isPrinted(tree, child)) {
      itemIds[count] = ownIds[child];
      itemFields[count++] = tree.field[child];
      continue;
    }
    const inherited = passedUp[child];
    if (!inherited) continue;
    for (const item of inherited) {
      itemIds[count] = item.id;
      itemFields[count++] = item.field ?? tree.field[child];
    }
  }
  return count;
}

/**
 * The ids of the subtrees CodeBLEU's `get_all_sub_trees` collects: the root and every node
 * with at least one child, named or not.
 */
export function collectSubtrees(tree: FlatTree, interner: SubtreeInterner): number[] {
  const count = tree.size;
  // Items an anonymous node with children passes up to its parent (see gatherItems).
  const passedUp: (Items | undefined)[] = [];
  const collected: number[] = [];
  for (let node = count - 1; node >= 0; node--) {
    const hasChildren = tree.firstChild[node] >= 0;
    ownIds[node] = -1;
    if (isPrinted(tree, node)) {
      ownIds[node] = interner.intern(labelOf(tree, node), gatherItems(tree, node, passedUp));
    } else if (hasChildren || node === 0) {
      passedUp[node] = copyItems(gatherItems(tree, node, passedUp));
      ownIds[node] = interner.internText(anonymousRootText(tree, node, interner));
    }
    if (hasChildren || node === 0) collected.push(ownIds[node]);
  }
  // Collected from the last node to the first; the reference lists them in pre-order.
  return collected.reverse();
}

/**
 * `ts_node_string` of an anonymous node with children (such as `not in` or `is not`): the node
 * is not printed as a normal node, so tree-sitter opens a parenthesis it never closes and
 * treats every child as a root, e.g. `(not in("not")("in")`. The reference compares these
 * strings like any other.
 */
function anonymousRootText(tree: FlatTree, node: number, interner: SubtreeInterner): string {
  let text = '(' + tree.type[node];
  for (let child = tree.firstChild[node]; child >= 0; child = tree.nextSibling[child]) {
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
  if (type === 'ERROR' && tree.firstChild[node] < 0 && tree.end[node] > tree.start[node]) {
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
export function matchSubtrees(candidate: SortedIds, reference: SortedIds): { matched: number; total: number } {
  return { matched: countPresent(candidate, reference), total: reference.length };
}
