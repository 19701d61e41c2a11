import type { Multiset } from './multiset.js';
import type { FlatTree } from './tree.js';

interface SubtreeShape {
  label: string;
  items: Array<{ field: string | null; id: number }>;
  /** Verbatim text, for the odd strings of anonymous nodes (see anonymousRootText). */
  text?: string;
}

/** One step of the lookup from a label through a sequence of (field, child id) items. */
interface ShapeStep {
  /** Id of the shape that ends here, or -1. */
  id: number;
  next: Map<number, ShapeStep> | null;
}

// Field codes share a number with child ids (id * FIELD_CODES + field code); tree-sitter field
// ids are 16-bit, so a grammar cannot have more names.
const FIELD_CODES = 0x10000;

/**
 * Gives every distinct subtree S-expression (tree-sitter's `ts_node_string`, which CodeBLEU
 * compares) a small integer id. Ids are built bottom-up from the children's ids, so two
 * subtrees get the same id exactly when their S-expressions are equal, without ever building
 * the strings: the reference's strings grow with size x depth. A shape is looked up by its label
 * and then one numeric key per item, which is cheaper than building a key string for each node.
 */
export class SubtreeInterner {
  private readonly byLabel = new Map<string, ShapeStep>();
  private readonly byText = new Map<string, number>();
  private readonly fieldCodes = new Map<string, number>();
  private readonly shapes: SubtreeShape[] = [];

  intern(shape: SubtreeShape): number {
    if (shape.text !== undefined) {
      let id = this.byText.get(shape.text);
      if (id === undefined) {
        id = this.add(shape);
        this.byText.set(shape.text, id);
      }
      return id;
    }
    let step = this.byLabel.get(shape.label);
    if (!step) {
      step = { id: -1, next: null };
      this.byLabel.set(shape.label, step);
    }
    for (const item of shape.items) {
      const key = item.id * FIELD_CODES + this.fieldCode(item.field);
      step.next ??= new Map();
      let next = step.next.get(key);
      if (!next) {
        next = { id: -1, next: null };
        step.next.set(key, next);
      }
      step = next;
    }
    if (step.id < 0) step.id = this.add(shape);
    return step.id;
  }

  private add(shape: SubtreeShape): number {
    this.shapes.push(shape);
    return this.shapes.length - 1;
  }

  /** 0 for no field, then 1, 2, ... in order of first use. */
  private fieldCode(field: string | null): number {
    if (field === null) return 0;
    let code = this.fieldCodes.get(field);
    if (code === undefined) {
      code = this.fieldCodes.size + 1;
      if (code >= FIELD_CODES) throw new Error(`More than ${FIELD_CODES - 1} field names in one grammar`);
      this.fieldCodes.set(field, code);
    }
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
