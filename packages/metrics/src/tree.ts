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
  /** Offsets in UTF-16 code units into `source`. */
  start: number[];
  end: number[];
  children: number[][];
  /** Number of edges on the longest root-to-leaf path. */
  depth: number;
}

/** Parses source text with one tree-sitter grammar into FlatTrees. */
export class TreeReader {
  private readonly parser = new Parser();
  // Symbol and field ids are per grammar, so these caches live with the parser.
  private readonly symbols = new Map<number, { type: string; named: boolean }>();
  private readonly fields = new Map<number, string>();

  constructor(grammar: unknown) {
    this.parser.setLanguage(grammar as Parser.Language);
  }

  parse(source: string): FlatTree {
    return this.flatten(this.parser.parse(source), source);
  }

  private flatten(tree: Parser.Tree, source: string): FlatTree {
    const flat: FlatTree = { source, type: [], named: [], missing: [], field: [], start: [], end: [], children: [], depth: 0 };
    const cursor = tree.walk();
    const parents: number[] = [];
    for (;;) {
      const id = flat.type.length;
      const { type, named } = this.symbol(cursor);
      const start = cursor.startIndex;
      const end = cursor.endIndex;
      flat.type.push(type);
      flat.named.push(named);
      flat.missing.push(start === end && cursor.nodeIsMissing);
      flat.field.push(this.field(cursor));
      flat.start.push(start);
      flat.end.push(end);
      flat.children.push([]);
      if (parents.length) flat.children[parents[parents.length - 1]].push(id);
      if (cursor.gotoFirstChild()) {
        parents.push(id);
        if (parents.length > flat.depth) flat.depth = parents.length;
        continue;
      }
      while (!cursor.gotoNextSibling()) {
        if (!cursor.gotoParent()) return flat;
        parents.pop();
      }
    }
  }

  private symbol(cursor: Parser.TreeCursor): { type: string; named: boolean } {
    const id = cursor.nodeTypeId;
    let entry = this.symbols.get(id);
    if (!entry) {
      entry = { type: cursor.nodeType, named: cursor.nodeIsNamed };
      this.symbols.set(id, entry);
    }
    return entry;
  }

  private field(cursor: Parser.TreeCursor): string | null {
    const id = cursor.currentFieldId;
    if (!id) return null;
    let name = this.fields.get(id);
    if (name === undefined) {
      name = cursor.currentFieldName;
      this.fields.set(id, name);
    }
    return name;
  }
}
