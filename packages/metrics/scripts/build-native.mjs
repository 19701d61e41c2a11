#!/usr/bin/env node
// Builds native/build/flat-tree.node: native/flat-tree.c and tree-sitter's C runtime (the
// vendored sources of the pinned `tree-sitter` npm package, a dependency under the name
// tree-sitter-runtime-sources) compiled into one Node-API module with the system's C compiler
// (`CC`, default `cc`). Without it @codistill/metrics parses with web-tree-sitter's WASM build:
// same scores, slower.
//
//   node scripts/build-native.mjs             build, or fail with the reason
//   node scripts/build-native.mjs --optional  build if possible, else print why and exit 0 (postinstall)
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const packageDir = dirname(dirname(fileURLToPath(import.meta.url)));
const source = join(packageDir, 'native', 'flat-tree.c');
const output = join(packageDir, 'native', 'build', 'flat-tree.node');
const optional = process.argv.includes('--optional');
/** The runtime release whose sources are compiled in (the dependency below is pinned to it). */
const RUNTIME_VERSION = '0.25.1';
const RUNTIME_ALIAS = 'tree-sitter-runtime-sources';

try {
  build();
} catch (error) {
  const reason = error instanceof Error ? error.message : String(error);
  if (!optional) {
    console.error(`@codistill/metrics: could not build the native parser: ${reason}`);
    process.exit(1);
  }
  console.log(`@codistill/metrics: native parser not built (${reason.split('\n')[0]}); CodeBLEU parses with WebAssembly instead (same scores, slower). Build it later with \`node scripts/build-native.mjs\`.`);
}

function build() {
  if (process.platform === 'win32') throw new Error('the build script supports Linux and macOS compilers only');
  const require = createRequire(join(packageDir, 'package.json'));
  // The `tree-sitter` package under another name, so that it is not taken for the optional
  // `tree-sitter` peer the grammar packages name (at ^0.21/^0.22, which npm would call invalid).
  const runtimePackage = require.resolve(`${RUNTIME_ALIAS}/package.json`);
  const runtimeDir = join(dirname(runtimePackage), 'vendor', 'tree-sitter', 'lib');
  const { version } = JSON.parse(readFileSync(runtimePackage, 'utf8'));
  if (version !== RUNTIME_VERSION) throw new Error(`found tree-sitter ${version}; the native parser is built from tree-sitter ${RUNTIME_VERSION}'s runtime`);
  const runtime = join(runtimeDir, 'src', 'lib.c');
  if (!existsSync(runtime)) throw new Error(`tree-sitter's runtime sources are missing (${runtime})`);
  const { include_dir: napiInclude } = require('node-api-headers');
  // Rebuilt when the C source, the runtime or this script (its flags) is newer than the module.
  if (upToDate([source, runtime, fileURLToPath(import.meta.url)])) return;

  const compiler = process.env.CC || 'cc';
  const flags = ['-O3', '-DNDEBUG', '-fPIC', '-shared', '-std=c11', '-fvisibility=hidden'];
  // As tree-sitter's own build: POSIX and default (BSD) extensions for the runtime's portable code.
  const defines = ['-D_POSIX_C_SOURCE=200112L', '-D_DEFAULT_SOURCE', '-DTREE_SITTER_HIDDEN_SYMBOLS', '-DNAPI_VERSION=8', '-DNODE_GYP_MODULE_NAME=flat_tree'];
  // Node-API symbols are resolved from the node process at load time.
  const link = process.platform === 'darwin' ? ['-undefined', 'dynamic_lookup'] : [];
  const includes = [`-I${napiInclude}`, `-I${join(runtimeDir, 'include')}`, `-I${join(runtimeDir, 'src')}`];
  mkdirSync(dirname(output), { recursive: true });
  const partial = `${output}.${process.pid}.tmp`;
  try {
    execFileSync(compiler, [...flags, ...defines, ...includes, source, runtime, ...link, '-o', partial], { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (error) {
    const detail = error.code === 'ENOENT' ? `no C compiler (${compiler}) on PATH; set CC or install one` : `${compiler} failed: ${String(error.stderr ?? error.message).trim()}`;
    throw new Error(detail);
  }
  // Renamed into place only when complete, so a half-written module is never loaded.
  renameSync(partial, output);
  console.log(`@codistill/metrics: built ${output}`);
}

/** Whether the module exists and is newer than every source it is built from. */
function upToDate(inputs) {
  if (!existsSync(output)) return false;
  const built = statSync(output).mtimeMs;
  return inputs.every((input) => statSync(input).mtimeMs < built);
}
