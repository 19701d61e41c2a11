import { finishDataflow, normalizeDataflow, type NormalizedEdge } from './dataflow.js';
import { DataflowExtractionError, type DataflowEdge } from './dataflowTypes.js';
import type { CodeLanguage } from './language.js';
import { collectSubtrees, SubtreeInterner } from './syntax.js';
import { buildTokenTable } from './tokens.js';
import { TreeReader, type FlatTree } from './tree.js';

/**
 * The reference extracts data flow with recursive Python functions, so a tree deeper than
 * Python's recursion limit (1000 frames, a few of them taken by the callers) raises
 * RecursionError, which it catches: the snippet then has no data flow. The exact cut-off in the
 * reference depends on its caller's stack; this is the depth used here.
 */
export const MAX_DATAFLOW_TREE_DEPTH = 990;

/** What the syntax and data-flow matches need from one (comment-stripped) snippet. */
export interface CodeFeatures {
  /** Interned ids of the collected subtrees, see SubtreeInterner. */
  subtrees: number[];
  dataflow: NormalizedEdge[];
}

const readers = new Map<string, TreeReader>();

function readerFor(language: CodeLanguage): TreeReader {
  let reader = readers.get(language.name);
  if (!reader) {
    reader = new TreeReader(language.grammar);
    readers.set(language.name, reader);
  }
  return reader;
}

/** Parses snippets of one language and extracts their features; subtree ids are comparable within one analyzer. */
export class CodeAnalyzer {
  readonly interner = new SubtreeInterner();
  private readonly reader: TreeReader;

  constructor(readonly language: CodeLanguage) {
    this.reader = readerFor(language);
  }

  /** Parses text that has already been through `language.removeComments`. */
  parse(cleanCode: string): FlatTree {
    assertEncodable(cleanCode);
    return this.reader.parse(cleanCode);
  }

  /** Extracts only the parts asked for; the other is left empty. */
  features(cleanCode: string, parts: { syntax: boolean; dataflow: boolean }): CodeFeatures {
    const tree = this.parse(cleanCode);
    return {
      subtrees: parts.syntax ? collectSubtrees(tree, this.interner) : [],
      dataflow: parts.dataflow ? normalizeDataflow(this.rawDataflow(tree)) : [],
    };
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
