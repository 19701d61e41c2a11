import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Language, Parser, type Tree } from 'web-tree-sitter';

/**
 * The web-tree-sitter release whose WASM build's memory layout `TreeReader` reads (the
 * structs of its `lib/src/subtree.h`, `tree.h` and `parser.h` compiled for wasm32). The
 * dependency is pinned to it; another release is refused rather than misread.
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
let loading: Promise<WasmMemory> | undefined;

/**
 * Instantiates web-tree-sitter once. Its WASM module is instantiated here rather than by
 * web-tree-sitter, through Emscripten's `instantiateWasm` hook, to keep hold of the module's
 * memory, which web-tree-sitter does not hand out: trees are read straight from it.
 */
function loadTreeSitter(): Promise<WasmMemory> {
  loading ??= new Promise<WasmMemory>((resolve, reject) => {
    const wasmFile = require.resolve('web-tree-sitter/tree-sitter.wasm');
    const { version } = JSON.parse(readFileSync(join(dirname(wasmFile), 'package.json'), 'utf8')) as { version: string };
    if (version !== WEB_TREE_SITTER_VERSION) {
      throw new Error(`@codistill/metrics reads web-tree-sitter ${WEB_TREE_SITTER_VERSION}'s tree memory and cannot use ${version}; install web-tree-sitter@${WEB_TREE_SITTER_VERSION}`);
    }
    let memory: WasmMemory | undefined;
    const wasm = new WebAssembly.Module(readFileSync(wasmFile));
    Parser.init({
      instantiateWasm(imports: { env: { memory: WasmMemory } }, receive: (instance: WasmInstance, module: object) => void) {
        const instance = new WebAssembly.Instance(wasm, imports);
        memory = imports.env.memory;
        receive(instance, wasm);
        return instance.exports;
      },
    }).then(() => (memory ? resolve(memory) : reject(new Error('web-tree-sitter was initialised before @codistill/metrics could load it'))), reject);
  });
  return loading;
}

/** A grammar compiled to WASM (such as the `tree-sitter-<lang>.wasm` a grammar package ships), ready to parse with. */
export interface WasmGrammar {
  language: Language;
  /** web-tree-sitter's memory, where the parser leaves its trees. */
  memory: WasmMemory;
}

export async function loadWasmGrammar(wasmFile: string): Promise<WasmGrammar> {
  const memory = await loadTreeSitter();
  const language = await Language.load(readFileSync(wasmFile));
  const abiVersion = new Uint32Array(memory.buffer, languageAddress(language), 1)[0];
  if (!SUPPORTED_ABI_VERSIONS.has(abiVersion)) {
    throw new Error(`${wasmFile} is a tree-sitter grammar of ABI ${abiVersion}; supported: ${[...SUPPORTED_ABI_VERSIONS].join(', ')}`);
  }
  return { language, memory };
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
