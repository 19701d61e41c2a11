import Parser from 'tree-sitter';

/**
 * A parsed tree copied out of tree-sitter into plain arrays, one slot per node in pre-order
 * (node 0 is the root, every child has a larger id than its parent). Reading each node once
 * through a TreeCursor is far cheaper than crossing into native code for every property the
 * metrics look at, and the arrays let the rest of the code walk the tree without recursion.
 */
export interface FlatTree {
  source: string;
  type: string[];
  named: boolean[];
  missing: boolean[];
  /** Field under which the parent holds this node, or null. */
  field: (string | null)[];
  /**
   * Offsets in UTF-16 code units into `source`, as tree-sitter reports them for leaves and for
   * the language's single-token types. Other nodes span from their first child's start to their
   * last child's end (tree-sitter's own span can also cover hidden tokens such as newlines).
   */
  start: number[];
  end: number[];
  children: number[][];
  /** Number of edges on the longest root-to-leaf path. */
  depth: number;
}

// Shared by all leaves (most nodes): one allocation less per node; nothing writes to it.
const NO_CHILDREN: number[] = [];

/**
 * Parses source text with one tree-sitter grammar into FlatTrees. Every cursor property read
 * is a call into native code (~0.1 µs, as much as the rest of the metric per node), so the walk
 * reads only what the metrics use: spans of leaves and of `spanTypes`, the missing flag of
 * empty leaves, and type and field names through per-grammar tables indexed by id.
 */
export class TreeReader {
  private readonly parser = new Parser();
  private readonly typeNames: string[] = [];
  private readonly typeNamed: boolean[] = [];
  /** Per type slot (see typeSlot): whether nodes of that type have their own span read although they have children. */
  private readonly typeHasSpan: boolean[] = [];
  private readonly fieldNames: string[] = [];

  constructor(
    grammar: unknown,
    private readonly spanTypes: ReadonlySet<string>,
  ) {
    this.parser.setLanguage(grammar as Parser.Language);
  }

  parse(source: string): FlatTree {
    return this.flatten(this.parser.parse(source), source);
  }

  private flatten(tree: Parser.Tree, source: string): FlatTree {
    const flat: FlatTree = { source, type: [], named: [], missing: [], field: [], start: [], end: [], children: [], depth: 0 };
    const cursor = tree.walk();
    // The cursor's ancestors, and for each whether its own span is read when the walk returns to it.
    const parents: number[] = [];
    const parentNeedsSpan: boolean[] = [];
    for (;;) {
      const id = flat.type.length;
      const slot = typeSlot(cursor.nodeTypeId);
      if (this.typeNames[slot] === undefined) this.learnType(cursor, slot);
      const fieldId = cursor.currentFieldId;
      flat.type.push(this.typeNames[slot]);
      flat.named.push(this.typeNamed[slot]);
      flat.field.push(fieldId ? this.fieldName(cursor, fieldId) : null);
      if (parents.length) flat.children[parents[parents.length - 1]].push(id);
      if (cursor.gotoFirstChild()) {
        flat.children.push([]);
        flat.start.push(-1);
        flat.end.push(-1);
        flat.missing.push(false);
        parents.push(id);
        parentNeedsSpan.push(this.typeHasSpan[slot]);
        if (parents.length > flat.depth) flat.depth = parents.length;
        continue;
      }
      flat.children.push(NO_CHILDREN);
      const start = cursor.startIndex;
      const end = cursor.endIndex;
      flat.start.push(start);
      flat.end.push(end);
      // Only empty leaves can be MISSING, so the flag is asked for those alone.
      flat.missing.push(start === end && cursor.nodeIsMissing);
      while (!cursor.gotoNextSibling()) {
        if (!cursor.gotoParent()) {
          fillSpansFromChildren(flat);
          return flat;
        }
        const parent = parents.pop()!;
        if (parentNeedsSpan.pop()) {
          flat.start[parent] = cursor.startIndex;
          flat.end[parent] = cursor.endIndex;
        }
      }
    }
  }

  private learnType(cursor: Parser.TreeCursor, slot: number): void {
    const type = cursor.nodeType;
    this.typeNames[slot] = type;
    this.typeNamed[slot] = cursor.nodeIsNamed;
    this.typeHasSpan[slot] = this.spanTypes.has(type);
  }

  private fieldName(cursor: Parser.TreeCursor, fieldId: number): string {
    let name = this.fieldNames[fieldId];
    if (name === undefined) {
      name = cursor.currentFieldName;
      this.fieldNames[fieldId] = name;
    }
    return name;
  }
}

/**
 * Index of a type id in the per-type tables. ERROR's id is 0xFFFF; stored at that index it
 * would turn the arrays into slow dictionaries, so it takes slot 0 and every other id moves up one.
 */
function typeSlot(typeId: number): number {
  return typeId === 0xffff ? 0 : typeId + 1;
}

/** Spans of nodes with children that were not read: first child's start to last child's end. */
function fillSpansFromChildren(flat: FlatTree): void {
  for (let node = flat.type.length - 1; node >= 0; node--) {
    const children = flat.children[node];
    if (flat.start[node] >= 0 || children.length === 0) continue;
    flat.start[node] = flat.start[children[0]];
    flat.end[node] = flat.end[children[children.length - 1]];
  }
}
