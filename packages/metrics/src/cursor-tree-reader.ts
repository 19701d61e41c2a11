import { Parser, type TreeCursor } from 'web-tree-sitter';
import { emptyFlatTree, fillSpansFromChildren, type FlatTree, type FlatTreeParser } from './tree.js';
import type { WasmGrammar } from './tree-sitter-wasm.js';

/**
 * Parses into FlatTrees through web-tree-sitter's public TreeCursor: the fallback for releases
 * whose memory layout TreeReader does not know. Several calls into WASM per node make it a few
 * times slower, but it only uses API that has been stable across releases.
 */
export class CursorTreeReader implements FlatTreeParser {
  readonly kind = 'wasm-cursor';
  private readonly parser = new Parser();

  constructor(
    grammar: WasmGrammar,
    private readonly spanTypes: ReadonlySet<string>,
  ) {
    this.parser.setLanguage(grammar.language);
  }

  parse(source: string, reuse?: FlatTree): FlatTree {
    const tree = this.parser.parse(source);
    if (!tree) throw new Error('tree-sitter returned no tree');
    const cursor = tree.walk();
    try {
      const flat = walk(cursor, emptyFlatTree(source, 0, reuse));
      fillSpansFromChildren(flat, this.spanTypes);
      return flat;
    } finally {
      cursor.delete();
      tree.delete();
    }
  }
}

/** Visits the nodes in pre-order, as TreeReader numbers them. */
function walk(cursor: TreeCursor, flat: FlatTree): FlatTree {
  const ancestors: number[] = [];
  for (;;) {
    add(flat, cursor, ancestors.length ? ancestors[ancestors.length - 1] : -1);
    flat.depth = Math.max(flat.depth, ancestors.length);
    if (cursor.gotoFirstChild()) {
      ancestors.push(flat.size - 1);
      continue;
    }
    while (!cursor.gotoNextSibling()) {
      if (!cursor.gotoParent()) return flat;
      ancestors.pop();
    }
  }
}

function add(flat: FlatTree, cursor: TreeCursor, parent: number): void {
  const id = flat.size++;
  flat.type[id] = cursor.nodeType;
  flat.named[id] = cursor.nodeIsNamed;
  flat.missing[id] = cursor.nodeIsMissing;
  flat.field[id] = cursor.currentFieldName ?? null;
  flat.start[id] = cursor.startIndex;
  flat.end[id] = cursor.endIndex;
  flat.parent[id] = parent;
  flat.firstChild[id] = -1;
  flat.lastChild[id] = -1;
  flat.nextSibling[id] = -1;
  if (parent < 0) return;
  const previous = flat.lastChild[parent];
  if (previous < 0) flat.firstChild[parent] = id;
  else flat.nextSibling[previous] = id;
  flat.lastChild[parent] = id;
}
