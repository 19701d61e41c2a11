import { Parser } from 'web-tree-sitter';
import { ERROR_SYMBOL, GrammarTables } from './grammar-tables.js';
import { treeAddress, type MemoryGrammar } from './tree-sitter-wasm.js';

/**
 * A parsed tree copied out of tree-sitter into plain arrays, one slot per node in pre-order
 * (node 0 is the root, every child has a larger id than its parent). The nodes are those a
 * tree-sitter TreeCursor visits, with the type, field and flags it reports. Children are linked
 * lists (`firstChild`, `nextSibling`), so that no array is allocated per node; -1 ends them.
 */
export interface FlatTree {
  source: string;
  /** Number of nodes. */
  size: number;
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
  parent: number[];
  firstChild: number[];
  lastChild: number[];
  nextSibling: number[];
  /** Number of edges on the longest root-to-leaf path. */
  depth: number;
}

/** Parses source text into FlatTrees. */
export interface FlatTreeParser {
  /** Which parser: the native one, web-tree-sitter read from memory, or web-tree-sitter's TreeCursor. */
  readonly kind: 'native' | 'wasm-memory' | 'wasm-cursor';
  /** The tree of `source`; with `reuse`, written into that tree's arrays (see emptyFlatTree). */
  parse(source: string, reuse?: FlatTree): FlatTree;
}

// Byte offsets in the wasm32 build of the pinned web-tree-sitter (lib/src/subtree.h). A Subtree
// is 8 bytes: either SubtreeInlineData (bit 0 of its first byte set: small leaves) or a pointer
// to SubtreeHeapData, whose children are the Subtrees just before it in memory.
const SUBTREE_BYTES = 8;
const INLINE = { flags: 0, symbol: 1, paddingBytes: 6, sizeBytes: 7 } as const;
const INLINE_FLAG = { inline: 1, visible: 2, extra: 8, missing: 32 } as const;
const HEAP = {
  paddingBytes: 4,
  sizeBytes: 16,
  childCount: 36,
  symbol: 40,
  flags: 44,
  visibleChildCount: 48,
  visibleDescendantCount: 56,
  productionId: 66,
} as const;
const HEAP_FLAG = { visible: 1, extra: 4, missing: 1 << 9 } as const;

/** The fields of a Subtree the walk uses, whichever representation it has. */
interface DecodedSubtree {
  /** Address of the SubtreeHeapData, or 0 for an inline leaf. */
  heap: number;
  visible: boolean;
  extra: boolean;
  missing: boolean;
  symbol: number;
  /** `Length.bytes` of the padding before the node and of the node itself. */
  padding: number;
  size: number;
  childCount: number;
  /** `ts_subtree_visible_child_count`: visible children, counting those of hidden children. */
  visibleChildCount: number;
  production: number;
}

/** One node whose children the walk is going through: a visible node, or a hidden one spliced into its visible parent. */
interface Frame {
  /** Address of the next child's Subtree. */
  child: number;
  childrenLeft: number;
  production: number;
  /** Index among the non-extra children, which aliases and fields are keyed by. */
  structuralIndex: number;
  /** Start of the next child, in bytes of UTF-16 text (tree-sitter's `Length.bytes`). */
  position: number;
  /** Whether no child has been read yet (the first child's padding is part of `position`). */
  atFirstChild: boolean;
  /** The visible node the children belong to. */
  node: number;
  /** Field a hidden node passes on to children that have none of their own (0 below a visible node). */
  inheritedField: number;
  /** Depth of `node` (edges from the root). */
  depth: number;
  /**
   * Whether this frame is `node`'s own (not a hidden node's) and `node` takes its span from its
   * children (see fillSpansFromChildren): done when the frame is.
   */
  spansChildren: boolean;
}

/**
 * Parses source text with one tree-sitter grammar into FlatTrees. The tree is read straight
 * from the WASM module's memory, reproducing TreeCursor's walk (`lib/src/tree_cursor.c`:
 * hidden nodes spliced into their parents, aliases, fields found through hidden ancestors,
 * extras without fields); a cursor would cost several calls into WASM per node. The structs'
 * layout is that of the pinned web-tree-sitter, which `loadWasmGrammar` checks.
 */
export class TreeReader implements FlatTreeParser {
  readonly kind = 'wasm-memory';
  private readonly parser = new Parser();
  private readonly tables: GrammarTables;
  /** Type name, whether it is named and whether it keeps its own span, per type slot of a symbol as trees hold it (see typeSlot). */
  private readonly typeNames: string[] = [];
  private readonly typeNamed: boolean[] = [];
  private readonly keepsSpan: boolean[] = [];
  /** Field name per field id (null for 0, no field). */
  private readonly fieldNames: (string | null)[] = [null];
  private buffer: ArrayBuffer | null = null;
  private u8 = new Uint8Array(0);
  private u16 = new Uint16Array(0);
  private u32 = new Uint32Array(0);
  private readonly frames: Frame[] = [];
  /** The child being read (one object, rewritten for every child). */
  private readonly child: DecodedSubtree = { heap: 0, visible: false, extra: false, missing: false, symbol: 0, padding: 0, size: 0, childCount: 0, visibleChildCount: 0, production: 0 };

  constructor(
    private readonly grammar: MemoryGrammar,
    private readonly spanTypes: ReadonlySet<string>,
  ) {
    this.parser.setLanguage(grammar.language);
    this.tables = new GrammarTables(grammar);
    // Every name up front, so that reading a node is one array lookup per name.
    for (let slot = 0; slot <= this.tables.symbolCount; slot++) this.learnType(slot);
    for (let field = 1; field <= this.tables.fieldCount; field++) this.fieldNames[field] = internedName(grammar.language.fieldNameForId(field) ?? '');
  }

  parse(source: string, reuse?: FlatTree): FlatTree {
    const tree = this.parser.parse(source);
    if (!tree) throw new Error('tree-sitter returned no tree');
    // WASM memory is not garbage collected: the tree is freed as soon as it has been read.
    try {
      return this.read(treeAddress(tree), source, reuse);
    } finally {
      tree.delete();
    }
  }

  /** Reads the tree whose TSTree struct is at `address` (its root Subtree comes first). */
  private read(address: number, source: string, reuse?: FlatTree): FlatTree {
    this.refreshViews();
    const child = this.child;
    this.decode(address, child);
    // The root's count of visible descendants sizes the arrays (they would still grow past it).
    const count = 1 + (child.childCount > 0 ? this.u32[(child.heap + HEAP.visibleDescendantCount) >> 2] : 0);
    const flat = emptyFlatTree(source, count, reuse);
    const frames = this.frames;
    // The root is always shown, under its own symbol; it starts after its padding.
    let top = this.visit(flat, child, -1, 0, 0, child.padding, -1, 0);
    while (top >= 0) {
      const frame = frames[top];
      if (frame.childrenLeft === 0) {
        // All of the node's descendants are read, their spans final.
        if (frame.spansChildren && flat.firstChild[frame.node] >= 0) {
          flat.start[frame.node] = flat.start[flat.firstChild[frame.node]];
          flat.end[frame.node] = flat.end[flat.lastChild[frame.node]];
        }
        top--;
        continue;
      }
      this.decode(frame.child, child);
      frame.child += SUBTREE_BYTES;
      frame.childrenLeft--;
      if (frame.atFirstChild) frame.atFirstChild = false;
      else frame.position += child.padding;
      const position = frame.position;
      frame.position += child.size;

      let alias = 0;
      let field = 0;
      if (!child.extra) {
        alias = this.tables.aliasAt(frame.production, frame.structuralIndex);
        field = this.tables.fieldAt(frame.production, frame.structuralIndex) || frame.inheritedField;
        frame.structuralIndex++;
      }
      if (child.visible || alias !== 0) {
        top = this.visit(flat, child, frame.node, alias, field, position, top, frame.depth + 1);
      } else if (child.visibleChildCount > 0) {
        top = this.pushFrame(child, position, frame.node, field, top, frame.depth, false);
      }
    }
    return flat;
  }

  /** Adds a shown node; returns the new top of the frame stack (its children's frame when it has children). */
  private visit(flat: FlatTree, subtree: DecodedSubtree, parent: number, alias: number, field: number, position: number, top: number, depth: number): number {
    const id = flat.size++;
    if (depth > flat.depth) flat.depth = depth;
    const slot = typeSlot(alias || subtree.symbol);
    flat.type[id] = this.typeNames[slot];
    flat.named[id] = this.typeNamed[slot];
    flat.missing[id] = subtree.missing;
    flat.field[id] = this.fieldNames[field];
    flat.start[id] = position >> 1;
    flat.end[id] = (position + subtree.size) >> 1;
    flat.parent[id] = parent;
    flat.firstChild[id] = -1;
    flat.lastChild[id] = -1;
    flat.nextSibling[id] = -1;
    if (parent >= 0) {
      const previous = flat.lastChild[parent];
      if (previous < 0) flat.firstChild[parent] = id;
      else flat.nextSibling[previous] = id;
      flat.lastChild[parent] = id;
    }
    return subtree.childCount > 0 ? this.pushFrame(subtree, position, id, 0, top, depth, !this.keepsSpan[slot]) : top;
  }

  private pushFrame(subtree: DecodedSubtree, position: number, node: number, inheritedField: number, top: number, depth: number, spansChildren: boolean): number {
    // Frames are reused from one tree to the next: the stack is as deep as the tree.
    const frame = (this.frames[top + 1] ??= { child: 0, childrenLeft: 0, production: 0, structuralIndex: 0, position: 0, atFirstChild: true, node: 0, inheritedField: 0, depth: 0, spansChildren: false });
    frame.child = subtree.heap - subtree.childCount * SUBTREE_BYTES;
    frame.childrenLeft = subtree.childCount;
    frame.production = subtree.production;
    frame.structuralIndex = 0;
    frame.position = position;
    frame.atFirstChild = true;
    frame.node = node;
    frame.inheritedField = inheritedField;
    frame.depth = depth;
    frame.spansChildren = spansChildren;
    return top + 1;
  }

  /** Reads the Subtree at `address` into `into`. */
  private decode(address: number, into: DecodedSubtree): void {
    const { u8, u16, u32 } = this;
    const flags = u8[address];
    if (flags & INLINE_FLAG.inline) {
      into.heap = 0;
      into.visible = (flags & INLINE_FLAG.visible) !== 0;
      into.extra = (flags & INLINE_FLAG.extra) !== 0;
      into.missing = (flags & INLINE_FLAG.missing) !== 0;
      into.symbol = u8[address + INLINE.symbol];
      into.padding = u8[address + INLINE.paddingBytes];
      into.size = u8[address + INLINE.sizeBytes];
      into.childCount = 0;
      into.visibleChildCount = 0;
      into.production = 0;
      return;
    }
    const heap = u32[address >> 2];
    const heapFlags = u16[(heap + HEAP.flags) >> 1];
    into.heap = heap;
    into.visible = (heapFlags & HEAP_FLAG.visible) !== 0;
    into.extra = (heapFlags & HEAP_FLAG.extra) !== 0;
    into.missing = (heapFlags & HEAP_FLAG.missing) !== 0;
    into.symbol = u16[(heap + HEAP.symbol) >> 1];
    into.padding = u32[(heap + HEAP.paddingBytes) >> 2];
    into.size = u32[(heap + HEAP.sizeBytes) >> 2];
    into.childCount = u32[(heap + HEAP.childCount) >> 2];
    // The union after the flags holds these only for nodes with children.
    const parent = into.childCount > 0;
    into.visibleChildCount = parent ? u32[(heap + HEAP.visibleChildCount) >> 2] : 0;
    into.production = parent ? u16[(heap + HEAP.productionId) >> 1] : 0;
  }

  private refreshViews(): void {
    const buffer = this.grammar.memory.buffer;
    if (buffer === this.buffer) return;
    this.buffer = buffer;
    this.u8 = new Uint8Array(buffer);
    this.u16 = new Uint16Array(buffer);
    this.u32 = new Uint32Array(buffer);
  }

  /** The name a symbol is shown with: that of its public symbol (`ts_language_public_symbol`). */
  private learnType(slot: number): void {
    const typeId = this.tables.publicSymbol(slot === 0 ? ERROR_SYMBOL : slot - 1);
    this.typeNames[slot] = internedName(this.grammar.language.nodeTypeForId(typeId) ?? 'ERROR');
    this.typeNamed[slot] = this.grammar.language.nodeTypeIsNamed(typeId);
    this.keepsSpan[slot] = this.spanTypes.has(this.typeNames[slot]);
  }
}

/**
 * The same string as V8 keeps it for a property key: interned, so that comparing a node's type
 * or field with a literal, or looking it up in a Map keyed by literals (the data-flow rules), is
 * a pointer comparison instead of a character one. Names a grammar hands over are not interned.
 */
export function internedName(name: string): string {
  return Object.keys({ [name]: 0 })[0];
}

/**
 * Index of a symbol in the per-type tables. ERROR's id is 0xFFFF; stored at that index it
 * would turn the arrays into slow dictionaries, so it takes slot 0 and every other id moves up one.
 */
export function typeSlot(symbol: number): number {
  return symbol === ERROR_SYMBOL ? 0 : symbol + 1;
}

/**
 * A FlatTree of no nodes yet, its arrays sized for `capacity` (they still grow past it). With
 * `reuse`, that tree is emptied and returned instead, its arrays keeping their old entries past
 * the new size (every reader writes all of a node's slots): scoring drops each tree as soon as its
 * features are out, and making ten fresh arrays per text cost 3-4 % of a pair's time (paired in
 * one process; not through the garbage collector, whose rate of collections stayed the same).
 */
export function emptyFlatTree(source: string, capacity: number, reuse?: FlatTree): FlatTree {
  if (reuse) {
    reuse.source = source;
    reuse.size = 0;
    reuse.depth = 0;
    return reuse;
  }
  // Ten calls rather than one closure made per tree.
  return {
    source,
    size: 0,
    type: new Array(capacity),
    named: new Array(capacity),
    missing: new Array(capacity),
    field: new Array(capacity),
    start: new Array(capacity),
    end: new Array(capacity),
    parent: new Array(capacity),
    firstChild: new Array(capacity),
    lastChild: new Array(capacity),
    nextSibling: new Array(capacity),
    depth: 0,
  };
}

/** Nodes with children that are not single tokens span from their first child's start to their last child's end. */
export function fillSpansFromChildren(flat: FlatTree, spanTypes: ReadonlySet<string>): void {
  for (let node = flat.size - 1; node >= 0; node--) {
    if (flat.firstChild[node] < 0 || spanTypes.has(flat.type[node])) continue;
    flat.start[node] = flat.start[flat.firstChild[node]];
    flat.end[node] = flat.end[flat.lastChild[node]];
  }
}
