import { finishDataflow, internEdges } from './dataflow.js';
import { DataflowExtractionError, type DataflowEdge } from './dataflow-types.js';
import type { CodeLanguage } from './language.js';
import { SortedIdPool, type SortedIds } from './multiset.js';
import { SequenceInterner } from './sequence-interner.js';
import { collectSubtrees, SubtreeInterner } from './syntax.js';
import { buildTokenTable } from './tokens.js';
import { CursorTreeReader } from './cursor-tree-reader.js';
import { nativeParser, NativeTreeReader } from './native-tree-reader.js';
import { TreeReader, type FlatTree, type FlatTreeParser } from './tree.js';

/**
 * The reference extracts data flow with recursive Python functions, so a tree deeper than
 * Python's recursion limit (1000 frames, a few of them taken by the callers) raises
 * RecursionError, which it catches: the snippet then has no data flow. The exact cut-off in the
 * reference depends on its caller's stack; this is the depth used here.
 */
export const MAX_DATAFLOW_TREE_DEPTH = 990;

/**
 * Characters of text (raw and cleaned, as counted by CodeAnalyzer) the shared cache may hold;
 * past it, the cache is dropped after the call. On the golden corpus an entry takes ≈24 bytes
 * per counted character (keys, features, interned subtrees), so this bounds it to ≈50 MB.
 */
const CACHE_BUDGET_CHARS = 2_000_000;
/** Nodes up to which featuresOf keeps a tree's arrays for the next text (about 5 MB at most). */
const KEPT_TREE_NODES = 1 << 16;

/** What the syntax and data-flow matches need from one (comment-stripped) snippet. */
export interface CodeFeatures {
  /** Interned ids of the collected subtrees, see SubtreeInterner. */
  subtrees: SortedIds;
  /** Interned ids of the normalised data-flow edges (see internEdges). */
  dataflow: SortedIds;
}

const readers = new WeakMap<CodeLanguage, FlatTreeParser>();
const sharedAnalyzers = new WeakMap<CodeLanguage, CodeAnalyzer>();

/**
 * The native parser where it is built and the language has a native grammar; else the fast
 * memory reader where web-tree-sitter's layout is known; else the TreeCursor walk.
 */
function readerFor(language: CodeLanguage): FlatTreeParser {
  let reader = readers.get(language);
  if (!reader) {
    const { grammar, nativeGrammar, singleTokenTypes } = language;
    if (nativeGrammar && nativeParser()) reader = new NativeTreeReader(nativeGrammar, singleTokenTypes);
    else if (grammar.memory) reader = new TreeReader({ ...grammar, memory: grammar.memory }, singleTokenTypes);
    else reader = new CursorTreeReader(grammar, singleTokenTypes);
    readers.set(language, reader);
  }
  return reader;
}

/**
 * Parses snippets of one language and extracts their features; subtree and edge ids are comparable
 * within one analyzer. The texts it has seen are cached: comment removal, parsing and tree
 * reading cost far more than the matching, and corpora repeat references, as do callers that
 * ask for syntax and data-flow match of the same texts one after the other.
 */
export class CodeAnalyzer {
  private readonly subtreeIds = new SubtreeInterner();
  private readonly edgeIds = new SequenceInterner();
  /** Holds the cached features' id lists (cleared with them). */
  private readonly idLists = new SortedIdPool();
  private readonly cleaned = new Map<string, string>();
  private readonly features = new Map<string, CodeFeatures>();
  private cachedChars = 0;
  private readonly reader: FlatTreeParser;
  /** The tree featuresOf read last, whose arrays the next one takes over. */
  private scratchTree: FlatTree | undefined;
  /**
   * With the native parser, featuresOf's subtree ids are interned in C (NativeTreeReader's
   * collectSubtrees: the same equalities as subtreeIds', a fraction of the time); subtreeIds
   * then serves `interner` (inspection) alone.
   */
  private readonly native: { reader: NativeTreeReader; subtreeIds: object } | undefined;

  constructor(readonly language: CodeLanguage) {
    const reader = (this.reader = readerFor(language));
    this.native = reader instanceof NativeTreeReader ? { reader, subtreeIds: reader.newSubtreeIds() } : undefined;
  }

  /** The analyzer whose cache every scoring call of `language` shares. */
  static shared(language: CodeLanguage): CodeAnalyzer {
    let analyzer = sharedAnalyzers.get(language);
    if (!analyzer) {
      analyzer = new CodeAnalyzer(language);
      sharedAnalyzers.set(language, analyzer);
    }
    return analyzer;
  }

  /** Which parser reads this analyzer's trees (see readerFor). */
  get parser(): FlatTreeParser['kind'] {
    return this.reader.kind;
  }

  get interner(): SubtreeInterner {
    return this.subtreeIds;
  }

  /**
   * Called after each scoring call, also one that threw: a cache over its budget is dropped
   * then, never during a call, so that all ids one call compares come from the same
   * interners, and a large corpus is not held after its call.
   */
  trimCache(): void {
    if (this.cachedChars > CACHE_BUDGET_CHARS) this.clearCache();
  }

  clearCache(): void {
    this.cleaned.clear();
    this.features.clear();
    this.subtreeIds.clear();
    this.native?.reader.clearSubtreeIds(this.native.subtreeIds);
    this.edgeIds.clear();
    this.idLists.clear();
    this.cachedChars = 0;
  }

  /** `language.removeComments(code)`, cached. */
  removeComments(code: string): string {
    let clean = this.cleaned.get(code);
    if (clean === undefined) {
      clean = this.language.removeComments(code);
      this.cleaned.set(code, clean);
      this.cachedChars += code.length;
    }
    return clean;
  }

  /**
   * Both parts for text that has already been through `language.removeComments`, cached. Both
   * are extracted from one parse even when a call needs one: together they cost a fraction of
   * the parse, and the other call of a pair then finds them ready.
   */
  featuresOf(cleanCode: string): CodeFeatures {
    let features = this.features.get(cleanCode);
    if (!features) {
      const tree = this.parse(cleanCode, this.scratchTree);
      this.scratchTree = tree.type.length <= KEPT_TREE_NODES ? tree : undefined;
      const subtrees = this.native ? this.native.reader.collectSubtrees(this.native.subtreeIds) : collectSubtrees(tree, this.subtreeIds);
      features = {
        subtrees: this.idLists.sorted(subtrees),
        dataflow: this.idLists.sorted(internEdges(this.rawDataflow(tree), this.edgeIds)),
      };
      this.features.set(cleanCode, features);
      this.cachedChars += cleanCode.length;
    }
    return features;
  }

  /**
   * Parses text that has already been through `language.removeComments` (not cached); with
   * `reuse`, into the arrays of that earlier tree, which then holds the new one.
   */
  parse(cleanCode: string, reuse?: FlatTree): FlatTree {
    assertEncodable(cleanCode);
    return this.reader.parse(cleanCode, reuse);
  }

  /** The merged data-flow edges before normalisation (`get_data_flow`). */
  rawDataflow(tree: FlatTree): DataflowEdge[] {
    if (tree.depth > MAX_DATAFLOW_TREE_DEPTH) return [];
    try {
      return finishDataflow(this.language.extractDataflow(tree, buildTokenTable(tree, this.language.singleTokenTypes)));
    } catch (error) {
      if (error instanceof DataflowExtractionError) return [];
      throw error;
    }
  }
}

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** The reference encodes code as UTF-8 before parsing; a lone surrogate cannot be encoded. */
function assertEncodable(code: string): void {
  if (LONE_SURROGATE.test(code)) {
    throw new Error('Code contains a lone UTF-16 surrogate and cannot be encoded as UTF-8');
  }
}
