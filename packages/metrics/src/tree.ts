import { Parser } from 'web-tree-sitter';
import { treeAddress, type CursorFunctions, type WasmGrammar } from './treeSitterWasm.js';

/**
 * A parsed tree copied out of tree-sitter into plain arrays, one slot per node in pre-order
 * (node 0 is the root, every child has a larger id than its parent). Reading each node once
 * through a TreeCursor is far cheaper than crossing into the parser's WASM module for every
 * property the metrics look at, and the arrays let the rest of the code walk the tree without
 * recursion.
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
 * Parses source text with one tree-sitter grammar into FlatTrees. The walk calls the cursor
 * functions of the WASM module directly (see CursorFunctions) and reads only what the metrics
 * use: spans of leaves and of `spanTypes`, the missing flag of empty leaves, and type and field
 * names through per-grammar tables indexed by id.
 */
export class TreeReader {
  private readonly parser = new Parser();
  private readonly language: WasmGrammar['language'];
  private readonly cursor: CursorFunctions;
  private readonly typeNames: string[] = [];
  private readonly typeNamed: boolean[] = [];
  /** Per type slot (see typeSlot): whether nodes of that type have their own span read although they have children. */
  private readonly typeHasSpan: boolean[] = [];
  private readonly fieldNames: string[] = [];

  constructor(
    grammar: WasmGrammar,
    private readonly spanTypes: ReadonlySet<string>,
  ) {
    this.language = grammar.language;
    this.cursor = grammar.cursor;
    this.parser.setLanguage(grammar.language);
  }

  parse(source: string): FlatTree {
    const tree = this.parser.parse(source);
    if (!tree) throw new Error('tree-sitter returned no tree');
    // WASM memory is not garbage collected: the tree is freed as soon as it has been read.
    try {
      return this.flatten(treeAddress(tree), source);
    } finally {
      tree.delete();
    }
  }

  private flatten(tree: number, source: string): FlatTree {
    const flat: FlatTree = { source, type: [], named: [], missing: [], field: [], start: [], end: [], children: [], depth: 0 };
    const cursor = this.cursor;
    cursor.ts_tree_root_node_wasm(tree);
    cursor.ts_tree_cursor_new_wasm(tree);
    // The cursor's ancestors, and for each whether its own span is read when the walk returns to it.
    const parents: number[] = [];
    const parentNeedsSpan: boolean[] = [];
    for (;;) {
      const id = flat.type.length;
      const slot = typeSlot(cursor.ts_tree_cursor_current_node_type_id_wasm(tree));
      if (this.typeNames[slot] === undefined) this.learnType(slot);
      const fieldId = cursor.ts_tree_cursor_current_field_id_wasm(tree);
      flat.type.push(this.typeNames[slot]);
      flat.named.push(this.typeNamed[slot]);
      flat.field.push(fieldId ? this.fieldName(fieldId) : null);
      if (parents.length) flat.children[parents[parents.length - 1]].push(id);
      if (cursor.ts_tree_cursor_goto_first_child_wasm(tree)) {
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
      const start = cursor.ts_tree_cursor_start_index_wasm(tree);
      const end = cursor.ts_tree_cursor_end_index_wasm(tree);
      flat.start.push(start);
      flat.end.push(end);
      // Only empty leaves can be MISSING, so the flag is asked for those alone.
      flat.missing.push(start === end && cursor.ts_tree_cursor_current_node_is_missing_wasm(tree) !== 0);
      while (!cursor.ts_tree_cursor_goto_next_sibling_wasm(tree)) {
        if (!cursor.ts_tree_cursor_goto_parent_wasm(tree)) {
          cursor.ts_tree_cursor_delete_wasm(tree);
          fillSpansFromChildren(flat);
          return flat;
        }
        const parent = parents.pop()!;
        if (parentNeedsSpan.pop()) {
          flat.start[parent] = cursor.ts_tree_cursor_start_index_wasm(tree);
          flat.end[parent] = cursor.ts_tree_cursor_end_index_wasm(tree);
        }
      }
    }
  }

  private learnType(slot: number): void {
    const typeId = slot === 0 ? ERROR_TYPE_ID : slot - 1;
    const type = this.language.nodeTypeForId(typeId) ?? 'ERROR';
    this.typeNames[slot] = type;
    this.typeNamed[slot] = this.language.nodeTypeIsNamed(typeId);
    this.typeHasSpan[slot] = this.spanTypes.has(type);
  }

  private fieldName(fieldId: number): string {
    let name = this.fieldNames[fieldId];
    if (name === undefined) {
      name = this.language.fieldNameForId(fieldId) ?? '';
      this.fieldNames[fieldId] = name;
    }
    return name;
  }
}

const ERROR_TYPE_ID = 0xffff;

/**
 * Index of a type id in the per-type tables. ERROR's id is 0xFFFF; stored at that index it
 * would turn the arrays into slow dictionaries, so it takes slot 0 and every other id moves up one.
 */
function typeSlot(typeId: number): number {
  return typeId === ERROR_TYPE_ID ? 0 : typeId + 1;
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
