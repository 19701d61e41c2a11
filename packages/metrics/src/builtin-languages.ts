import { createRequire } from 'node:module';
import { removeCStyleComments } from './c-style-comments.js';
import type { DataflowEdge } from './dataflow-types.js';
import { extractCSharpDataflow } from './dataflow/c-sharp.js';
import { extractGoDataflow } from './dataflow/go.js';
import { extractJavaDataflow } from './dataflow/java.js';
import { extractJavascriptDataflow } from './dataflow/javascript.js';
import { extractPhpDataflow } from './dataflow/php.js';
import { extractRubyDataflow } from './dataflow/ruby.js';
import { extractRustDataflow } from './dataflow/rust.js';
import { KEYWORDS } from './keywords.js';
import type { CodeLanguage } from './language.js';
import { loadNativeGrammar } from './native-tree-reader.js';
import { loadPython } from './python/index.js';
import { REFERENCE_SINGLE_TOKEN_TYPES, type TokenTable } from './tokens.js';
import type { FlatTree } from './tree.js';
import { loadWasmGrammar } from './tree-sitter-wasm.js';

interface BuiltinLanguage {
  /** The grammar's WASM build inside its pinned npm package (the versions the reference ran). */
  wasm: string;
  /** The package whose Node binding holds the same grammar natively, and the export naming it where there are several. */
  native: [packageName: string, exportName?: string];
  removeComments(code: string): string;
  extractDataflow(tree: FlatTree, tokens: TokenTable): DataflowEdge[];
}

/** Ruby's comments are never removed by the reference: its comment nodes count in syntax match. */
const keepComments = (code: string) => code;

/** The reference's languages but python (see python/index.ts), in its order. */
const BUILTIN: Readonly<Record<string, BuiltinLanguage>> = {
  java: { wasm: 'tree-sitter-java/tree-sitter-java.wasm', native: ['tree-sitter-java'], removeComments: removeCStyleComments, extractDataflow: extractJavaDataflow },
  javascript: { wasm: 'tree-sitter-javascript/tree-sitter-javascript.wasm', native: ['tree-sitter-javascript'], removeComments: removeCStyleComments, extractDataflow: extractJavascriptDataflow },
  c_sharp: { wasm: 'tree-sitter-c-sharp/tree-sitter-c_sharp.wasm', native: ['tree-sitter-c-sharp'], removeComments: removeCStyleComments, extractDataflow: extractCSharpDataflow },
  // The `php` dialect (HTML text around `<?php` blocks), which the reference loads with `language_php()`.
  php: { wasm: 'tree-sitter-php/tree-sitter-php.wasm', native: ['tree-sitter-php', 'php'], removeComments: removeCStyleComments, extractDataflow: extractPhpDataflow },
  // The reference runs C#'s data-flow function on c and cpp trees.
  c: { wasm: 'tree-sitter-c/tree-sitter-c.wasm', native: ['tree-sitter-c'], removeComments: removeCStyleComments, extractDataflow: extractCSharpDataflow },
  cpp: { wasm: 'tree-sitter-cpp/tree-sitter-cpp.wasm', native: ['tree-sitter-cpp'], removeComments: removeCStyleComments, extractDataflow: extractCSharpDataflow },
  go: { wasm: 'tree-sitter-go/tree-sitter-go.wasm', native: ['tree-sitter-go'], removeComments: removeCStyleComments, extractDataflow: extractGoDataflow },
  ruby: { wasm: 'tree-sitter-ruby/tree-sitter-ruby.wasm', native: ['tree-sitter-ruby'], removeComments: keepComments, extractDataflow: extractRubyDataflow },
  rust: { wasm: 'tree-sitter-rust/tree-sitter-rust.wasm', native: ['tree-sitter-rust'], removeComments: removeCStyleComments, extractDataflow: extractRustDataflow },
};

/** The reference's languages (`AVAILABLE_LANGS`), in its order. */
export const REFERENCE_LANGUAGES: readonly string[] = ['java', 'javascript', 'c_sharp', 'php', 'c', 'cpp', 'python', 'go', 'ruby', 'rust'];

/** Whether `loadBuiltinLanguage` knows the language. */
export function isLoadable(name: string): boolean {
  return name === 'python' || Object.hasOwn(BUILTIN, name);
}

const require = createRequire(import.meta.url);

/** Loads one built-in language's grammar (resolved from its npm package on first use). */
export async function loadBuiltinLanguage(name: string): Promise<CodeLanguage> {
  if (name === 'python') return loadPython();
  const { wasm, native, removeComments, extractDataflow } = BUILTIN[name];
  return {
    name,
    grammar: await loadWasmGrammar(require.resolve(wasm)),
    nativeGrammar: loadNativeGrammar(...native),
    keywords: KEYWORDS[name],
    singleTokenTypes: REFERENCE_SINGLE_TOKEN_TYPES,
    removeComments,
    extractDataflow,
  };
}
