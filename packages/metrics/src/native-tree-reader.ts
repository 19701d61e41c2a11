import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { emptyFlatTree, fillSpansFromChildren, internedName, typeSlot, type FlatTree, type FlatTreeParser } from './tree.js';

/**
 * A grammar's native build: the `language` value its npm package's Node binding exports (an
 * External tagged as a tree-sitter Language), the same grammar version as its `.wasm`.
 */
export type NativeGrammar = object;

/** The module scripts/build-native.mjs builds from native/flat-tree.c. */
interface FlatTreeModule {
  newParser(language: NativeGrammar): object;
  symbolNames(language: NativeGrammar): string[];
  fieldNames(language: NativeGrammar): string[];
  parse(parser: object, source: string, out: Int32Array): number;
  newSubtreeIds(): object;
  clearSubtreeIds(ids: object): void;
  collectSubtrees(ids: object, parser: object, source: string, records: Int32Array, count: number, collected: Int32Array): number;
  subtreeText(ids: object, id: number): string;
  /** Int32 values per node record, in the order of NODE. */
  nodeFields: number;
}

/** Positions in a node's record (native/flat-tree.c writes them). */
const NODE = { symbol: 0, field: 1, flags: 2, start: 3, end: 4, parent: 5 } as const;
const FLAG = { named: 1, missing: 2 } as const;

/** Setting this to 0 keeps CodeBLEU on web-tree-sitter even where the native parser is built. */
const NATIVE_SWITCH = 'CODISTILL_METRICS_NATIVE';

const require = createRequire(import.meta.url);
// src/ and dist/ both sit one level below the package root.
const MODULE_FILE = fileURLToPath(new URL('../native/build/flat-tree.node', import.meta.url));
let addon: FlatTreeModule | null | undefined;

/** How scripts/build-native.mjs built the module (native/build/flat-tree.json). */
export interface NativeBuild {
  /** The first line of the compiler's `--version`. */
  compiler: string;
  gcc: boolean;
  /** Tuning and optimisation flags. */
  flags: string[];
  /** Whether the profiling run succeeded and the build used its profile (gcc only). */
  profileGuided: boolean;
}

/** How the native parser was built, or null where it is not (or was built before this was recorded). */
export function nativeBuild(): NativeBuild | null {
  const file = MODULE_FILE.replace(/\.node$/, '.json');
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as NativeBuild) : null;
}

/** The native parser module, or null where it is not built, does not load, or is switched off. */
export function nativeParser(): FlatTreeModule | null {
  if (addon === undefined) addon = process.env[NATIVE_SWITCH] === '0' || !existsSync(MODULE_FILE) ? null : loadModule();
  return addon;
}

/** A module that is there but does not load (built on another system, say) is a notice, not a failure. */
function loadModule(): FlatTreeModule | null {
  try {
    return require(MODULE_FILE) as FlatTreeModule;
  } catch (error) {
    process.emitWarning(
      `@codistill/metrics could not load its native parser (${MODULE_FILE}: ${(error as Error).message.split('\n')[0]}); it parses with WebAssembly instead (same scores, slower). Rebuild it with \`node scripts/build-native.mjs\` in the package.`,
    );
    return null;
  }
}

/** A grammar module scripts/build-native.mjs compiled (native/grammar-binding.c). */
export interface CompiledGrammar {
  language: NativeGrammar;
  /** The version of the grammar package it was compiled from. */
  version: string;
}

/**
 * A grammar's native build, or undefined where the native parser is not built or the package
 * ships no binary for this platform: the one scripts/build-native.mjs compiled from the
 * package's sources where there is one (see its buildGrammars), else the package's own
 * (`bindings/node` loads its prebuilt `.node`). `exportName` picks one grammar of a package
 * that holds several (tree-sitter-php's `php`).
 */
export function loadNativeGrammar(packageName: string, exportName?: string): NativeGrammar | undefined {
  if (!nativeParser()) return undefined;
  const compiled = fileURLToPath(new URL(`../native/build/grammars/${packageName}${exportName ? `.${exportName}` : ''}.node`, import.meta.url));
  if (existsSync(compiled)) {
    try {
      const module = require(compiled) as CompiledGrammar;
      if (compiledFromInstalled(module, packageName)) return module.language;
    } catch {
      // Built on another system, say: the package's own binary below parses the same.
    }
  }
  try {
    const binding = require(packageName) as Record<string, { language?: NativeGrammar }> & { language?: NativeGrammar };
    return exportName ? binding[exportName]?.language : binding.language;
  } catch {
    return undefined;
  }
}

/**
 * Whether a compiled grammar was compiled from the version of the package installed now (a
 * package upgraded without the build run again keeps its old compiled module, which would parse
 * with the old grammar: the package's own binary is used instead).
 */
export function compiledFromInstalled(module: CompiledGrammar, packageName: string): boolean {
  const { version } = require(`${packageName}/package.json`) as { version: string };
  return module.version === version;
}

/**
 * Parses into FlatTrees with the native parser: one call parses the text and writes every node
 * a TreeCursor visits into an Int32Array; this only turns those records into the FlatTree arrays.
 */
export class NativeTreeReader implements FlatTreeParser {
  readonly kind = 'native';
  private readonly addon: FlatTreeModule;
  private readonly parser: object;
  /** Type name per type slot (see typeSlot: ERROR first, then each symbol). */
  private readonly typeNames: string[];
  /** Field name per field id (null for 0, no field). */
  private readonly fieldNames: (string | null)[];
  private records = new Int32Array(0);
  private depths = new Int32Array(0);
  /** The text parsed last and its node count: what collectSubtrees reads. */
  private lastSource = '';
  private lastCount = 0;
  private collected = new Int32Array(0);

  constructor(
    grammar: NativeGrammar,
    private readonly spanTypes: ReadonlySet<string>,
  ) {
    const addon = nativeParser();
    if (!addon) throw new Error(`the native parser is not built (${MODULE_FILE}); run \`node scripts/build-native.mjs\` in @codistill/metrics`);
    this.addon = addon;
    this.parser = addon.newParser(grammar);
    this.typeNames = ['ERROR', ...addon.symbolNames(grammar).map(internedName)];
    this.fieldNames = [null, ...addon.fieldNames(grammar).map(internedName)];
  }

  parse(source: string, reuse?: FlatTree): FlatTree {
    return this.toFlatTree(source, this.parseRecords(source), reuse);
  }

  /** An empty subtree interner for collectSubtrees (C memory, freed with the value). */
  newSubtreeIds(): object {
    return this.addon.newSubtreeIds();
  }

  clearSubtreeIds(ids: object): void {
    this.addon.clearSubtreeIds(ids);
  }

  /**
   * syntax.ts's collectSubtrees of the tree parsed last, in C (native/subtree-ids.c): the ids,
   * interned in `ids`, of the subtrees CodeBLEU collects, in pre-order. Two subtrees get equal
   * ids exactly when their S-expressions are equal, as with SubtreeInterner; the ids themselves
   * differ from its. A view that the next call overwrites.
   */
  collectSubtrees(ids: object): Int32Array {
    if (this.collected.length < this.lastCount) this.collected = new Int32Array(2 * this.lastCount);
    const count = this.addon.collectSubtrees(ids, this.parser, this.lastSource, this.records, this.lastCount, this.collected);
    return this.collected.subarray(0, count);
  }

  /** The S-expression of an id collectSubtrees gave. */
  subtreeText(ids: object, id: number): string {
    return this.addon.subtreeText(ids, id);
  }

  /** Parses into `records`; returns the number of nodes. */
  private parseRecords(source: string): number {
    const fields = this.addon.nodeFields;
    let count = this.addon.parse(this.parser, source, this.records);
    if (count * fields > this.records.length) {
      // Records and depths are reused from one text to the next; they grow with the largest tree.
      this.records = new Int32Array(count * fields * 2);
      this.depths = new Int32Array(count * 2);
      count = this.addon.parse(this.parser, source, this.records);
    }
    this.lastSource = source;
    this.lastCount = count;
    return count;
  }

  private toFlatTree(source: string, count: number, reuse?: FlatTree): FlatTree {
    const { records, depths, typeNames, fieldNames } = this;
    const fields = this.addon.nodeFields;
    const flat = emptyFlatTree(source, count, reuse);
    flat.size = count;
    for (let id = 0, at = 0; id < count; id++, at += fields) {
      const flags = records[at + NODE.flags];
      const parent = records[at + NODE.parent];
      flat.type[id] = typeNames[typeSlot(records[at + NODE.symbol])];
      flat.named[id] = (flags & FLAG.named) !== 0;
      flat.missing[id] = (flags & FLAG.missing) !== 0;
      flat.field[id] = fieldNames[records[at + NODE.field]];
      flat.start[id] = records[at + NODE.start];
      flat.end[id] = records[at + NODE.end];
      flat.parent[id] = parent;
      flat.firstChild[id] = -1;
      flat.lastChild[id] = -1;
      flat.nextSibling[id] = -1;
      if (parent < 0) {
        depths[id] = 0;
        continue;
      }
      const depth = (depths[id] = depths[parent] + 1);
      if (depth > flat.depth) flat.depth = depth;
      const previous = flat.lastChild[parent];
      if (previous < 0) flat.firstChild[parent] = id;
      else flat.nextSibling[previous] = id;
      flat.lastChild[parent] = id;
    }
    fillSpansFromChildren(flat, this.spanTypes);
    return flat;
  }
}
