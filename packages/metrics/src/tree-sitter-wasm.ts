import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Language, Parser, type Tree } from 'web-tree-sitter';

/**
 * The web-tree-sitter release whose WASM build's memory layout `TreeReader` reads (the
 * structs of its `lib/src/subtree.h`, `tree.h` and `parser.h` compiled for wasm32). The
 * dependency is pinned to it; with another release trees are walked with TreeCursor instead.
 */
export const WEB_TREE_SITTER_VERSION = '0.25.10';

/** Grammar ABI versions whose `TSLanguage` starts with the fields TreeReader reads. */
const SUPPORTED_ABI_VERSIONS = new Set([14, 15]);

// The compiler settings include no WebAssembly types (they come with the DOM library); these
// are the parts used here.
interface WasmMemory {
  buffer: ArrayBuffer;
}
interface WasmInstance {
  exports: object;
}
declare const WebAssembly: {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => WasmInstance;
};

const require = createRequire(import.meta.url);
let loading: Promise<WasmMemory | null> | undefined;

/**
 * Instantiates web-tree-sitter once. For the pinned release its WASM module is instantiated here
 * rather than by web-tree-sitter, through Emscripten's `instantiateWasm` hook, to keep hold of
 * the module's memory, which web-tree-sitter does not hand out: trees are read straight from it.
 * Where that layout check fails (another release, which a lockfile may bring, or web-tree-sitter
 * initialised elsewhere first) this resolves to null, and trees are walked with the public
 * TreeCursor instead: slower, but independent of the layout.
 */
function loadTreeSitter(): Promise<WasmMemory | null> {
  loading ??= new Promise<WasmMemory | null>((resolve, reject) => {
    // The package's main file sits next to its package.json in every release; subpaths differ.
    const packageDir = dirname(require.resolve('web-tree-sitter'));
    const { version } = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')) as { version: string };
    if (version !== WEB_TREE_SITTER_VERSION) {
      Parser.init().then(() => resolve(withCursorFallback(`it found web-tree-sitter ${version}`)), reject);
      return;
    }
    let memory: WasmMemory | undefined;
    const wasm = new WebAssembly.Module(readFileSync(join(packageDir, 'tree-sitter.wasm')));
    Parser.init({
      instantiateWasm(imports: { env: { memory: WasmMemory } }, receive: (instance: WasmInstance, module: object) => void) {
        const instance = new WebAssembly.Instance(wasm, imports);
        memory = imports.env.memory;
        receive(instance, wasm);
        return instance.exports;
      },
    }).then(() => resolve(memory ?? withCursorFallback('web-tree-sitter was initialised before it could load it')), reject);
  });
  return loading;
}

/** The notice (once per cause) that trees will be walked with TreeCursor; returns the missing memory. */
function withCursorFallback(reason: string): null {
  process.emitWarning(
    `@codistill/metrics reads trees from web-tree-sitter ${WEB_TREE_SITTER_VERSION}'s memory, but ${reason}: it walks them with TreeCursor instead (same scores, slower). Install web-tree-sitter@${WEB_TREE_SITTER_VERSION} for the fast path.`,
  );
  return null;
}

/** A grammar compiled to WASM (such as the `tree-sitter-<lang>.wasm` a grammar package ships), ready to parse with. */
export interface WasmGrammar {
  language: Language;
  /** web-tree-sitter's memory, where the parser leaves its trees; null where its layout is not known (TreeCursor is used). */
  memory: WasmMemory | null;
}

/** A grammar whose trees can be read from memory. */
export type MemoryGrammar = WasmGrammar & { memory: WasmMemory };

export async function loadWasmGrammar(wasmFile: string): Promise<WasmGrammar> {
  const memory = await loadTreeSitter();
  const language = await Language.load(readFileSync(wasmFile));
  if (!memory) return { language, memory };
  const abiVersion = new Uint32Array(memory.buffer, languageAddress(language), 1)[0];
  if (SUPPORTED_ABI_VERSIONS.has(abiVersion)) return { language, memory };
  return { language, memory: withCursorFallback(`${wasmFile} is a grammar of ABI ${abiVersion} (its tables are read for ABI ${[...SUPPORTED_ABI_VERSIONS].join(' and ')})`) };
}

/**
 * web-tree-sitter keeps the WASM address of the C object behind a Tree or Language in its
 * slot 0 without declaring it; the version is pinned.
 */
function addressOf(object: Tree | Language, what: string): number {
  const address = (object as unknown as Record<number, unknown>)[0];
  if (typeof address !== 'number') throw new Error(`This web-tree-sitter version does not expose ${what} addresses`);
  return address;
}

export function treeAddress(tree: Tree): number {
  return addressOf(tree, 'tree');
}

export function languageAddress(language: Language): number {
  return addressOf(language, 'language');
}
