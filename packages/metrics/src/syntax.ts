import { countPresent, type SortedIds } from './multiset.js';
import { codeFor, SequenceInterner } from './sequence-interner.js';
import type { FlatTree } from './tree.js';

/** Items (child id, field code) an anonymous node with children passes up, end to end. */
type Items = number[];

/**
 * The sequence of the node being interned: its label's code, then a (child id, field code) pair
 * per item. One array, reused from node to node (no allocation per node).
 */
const sequence: number[] = [];
/** Interned id of each node of the tree being collected (-1 for anonymous leaves), reused likewise. */
const ownIds: number[] = [];

/**
 * Gives every distinct subtree S-expression (tree-sitter's `ts_node_string`, which CodeBLEU
 * compares) a small integer id. Ids are built bottom-up from the children's ids, so two
 * subtrees get the same id exactly when their S-expressions are equal, without ever building
 * the strings: the reference's strings grow with size x depth. A subtree is the sequence of its
 * label's code and its items' (id, field code) pairs; verbatim texts (see anonymousRootText)
 * are one odd code.
 */
export class SubtreeInterner {
  private readonly sequences = new SequenceInterner();
  /** Codes of labels (even) and of verbatim texts (odd), the first number of a sequence. */
  private readonly labelCodes = new Map<string, number>();
  private readonly textCodes = new Map<string, number>();
  private readonly fieldCodes = new Map<string, number>();
  private labels: string[] = [];
  private texts: string[] = [];
  private fields: string[] = [];

  /** Forgets every subtree (and keeps the buffers, see SequenceInterner.clear). */
  clear(): void {
    this.sequences.clear();
    this.labelCodes.clear();
    this.textCodes.clear();
    this.fieldCodes.clear();
    this.labels = [];
    this.texts = [];
    this.fields = [];
  }

  /** The id of the shape `label` + the `itemCount` items in `sequence` after its first slot. */
  intern(label: string, itemCount: number): number {
    sequence[0] = 2 * this.code(this.labelCodes, this.labels, label);
    return this.internSequence(1 + 2 * itemCount);
  }

  internText(text: string): number {
    sequence[0] = 2 * this.code(this.textCodes, this.texts, text) + 1;
    return this.internSequence(1);
  }

  /** 0 for no field, then 1, 2, ... in order of first use. */
  fieldCode(field: string | null): number {
    return field === null ? 0 : this.code(this.fieldCodes, this.fields, field) + 1;
  }

  private internSequence(length: number): number {
    const scratch = this.sequences.scratch(length);
    for (let i = 0; i < length; i++) scratch[i] = sequence[i];
    return this.sequences.intern(length);
  }

  private code(codes: Map<string, number>, names: string[], name: string): number {
    const code = codeFor(codes, name);
    if (code === names.length) names.push(name);
    return code;
  }

  /** The S-expression text of an interned subtree (for inspection and tests). */
  sexp(id: number): string {
    const [head, ...items] = this.sequences.sequence(id);
    if (head % 2 === 1) return this.texts[(head - 1) / 2];
    let text = '(' + this.labels[head / 2];
    for (let item = 0; item < items.length; item += 2) {
      const field = items[item + 1];
      text += ' ' + (field ? this.fields[field - 1] + ': ' : '') + this.sexp(items[item]);
    }
    return text + ')';
  }
}

/**
 * Puts the items of `node` into `sequence` after its first slot and returns their number. A
 * printed child is one item; an anonymous child with children passes up its own items instead,
 * which inherit its field name.
 */
function gatherItems(tree: FlatTree, node: number, passedUp: (Items | undefined)[], interner: SubtreeInterner): number {
  let length = 1;
  for (let child = tree.firstChild[node]; child >= 0; child = tree.nextSibling[child]) {
    if (isPrinted(tree, child)) {
      sequence[length++] = ownIds[child];
      sequence[length++] = interner.fieldCode(tree.field[child]);
      continue;
    }
    const inherited = passedUp[child];
    if (!inherited) continue;
    for (let item = 0; item < inherited.length; item += 2) {
      sequence[length++] = inherited[item];
      sequence[length++] = inherited[item + 1] || interner.fieldCode(tree.field[child]);
    }
  }
  return (length - 1) / 2;
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
      ownIds[node] = interner.intern(labelOf(tree, node), gatherItems(tree, node, passedUp, interner));
    } else if (hasChildren || node === 0) {
      passedUp[node] = sequence.slice(1, 1 + 2 * gatherItems(tree, node, passedUp, interner));
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
