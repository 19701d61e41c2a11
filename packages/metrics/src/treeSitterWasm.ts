import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Language, Parser, type Tree } from 'web-tree-sitter';

/**
 * The C functions of web-tree-sitter's WASM module that move and read a TreeCursor. They keep
 * the cursor in the module's transfer buffer between calls, so a walk that calls them
 * directly is one cheap call into WASM per step, where web-tree-sitter's own TreeCursor copies
 * the cursor in and out of the buffer through JavaScript on every call. Each takes the address
 * of the tree the cursor walks.
 */
export interface CursorFunctions {
  ts_tree_root_node_wasm(tree: number): void;
  /** Starts a cursor at the node in the transfer buffer (the root, after ts_tree_root_node_wasm). */
  ts_tree_cursor_new_wasm(tree: number): void;
  ts_tree_cursor_delete_wasm(tree: number): void;
  ts_tree_cursor_goto_first_child_wasm(tree: number): number;
  ts_tree_cursor_goto_next_sibling_wasm(tree: number): number;
  ts_tree_cursor_goto_parent_wasm(tree: number): number;
  ts_tree_cursor_current_node_type_id_wasm(tree: number): number;
  ts_tree_cursor_current_field_id_wasm(tree: number): number;
  ts_tree_cursor_current_node_is_missing_wasm(tree: number): number;
  /** Offsets in UTF-16 code units: web-tree-sitter parses JavaScript strings as UTF-16. */
  ts_tree_cursor_start_index_wasm(tree: number): number;
  ts_tree_cursor_end_index_wasm(tree: number): number;
}

// The compiler settings include no WebAssembly types (they come with the DOM library); these
// are the parts used here.
interface WasmInstance {
  exports: object;
}
declare const WebAssembly: {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => WasmInstance;
};

const require = createRequire(import.meta.url);
let loading: Promise<CursorFunctions> | undefined;

/**
 * Instantiates web-tree-sitter once. Its WASM module is instantiated here rather than by
 * web-tree-sitter, through Emscripten's `instantiateWasm` hook, to keep hold of the module's
 * exported functions, which web-tree-sitter does not hand out.
 */
function loadTreeSitter(): Promise<CursorFunctions> {
  loading ??= new Promise<CursorFunctions>((resolve, reject) => {
    let functions: CursorFunctions | undefined;
    const wasm = new WebAssembly.Module(readFileSync(require.resolve('web-tree-sitter/tree-sitter.wasm')));
    Parser.init({
      instantiateWasm(imports: object, receive: (instance: WasmInstance, module: object) => void) {
        const instance = new WebAssembly.Instance(wasm, imports);
        functions = instance.exports as unknown as CursorFunctions;
        receive(instance, wasm);
        return instance.exports;
      },
    }).then(() => (functions ? resolve(functions) : reject(new Error('web-tree-sitter was initialised before @codistill/metrics could load it'))), reject);
  });
  return loading;
}

/** A grammar compiled to WASM (such as the `tree-sitter-<lang>.wasm` a grammar package ships), ready to parse with. */
export interface WasmGrammar {
  language: Language;
  cursor: CursorFunctions;
}

export async function loadWasmGrammar(wasmFile: string): Promise<WasmGrammar> {
  const cursor = await loadTreeSitter();
  return { language: await Language.load(readFileSync(wasmFile)), cursor };
}

/**
 * The address of a tree in WASM memory, which the cursor functions take. web-tree-sitter
 * keeps it in the tree's slot 0 without declaring it; the version is pinned.
 */
export function treeAddress(tree: Tree): number {
  const address = (tree as unknown as Record<number, unknown>)[0];
  if (typeof address !== 'number') throw new Error('This web-tree-sitter version does not expose tree addresses');
  return address;
}
