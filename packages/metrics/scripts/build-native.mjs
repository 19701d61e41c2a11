#!/usr/bin/env node
// Builds native/build/flat-tree.node: native/flat-tree.c, native/subtree-ids.c and tree-sitter's C runtime (the
// vendored sources of the pinned `tree-sitter` npm package, a dependency under the name
// tree-sitter-runtime-sources, compiled through native/runtime.c) into one Node-API module with the system's C compiler
// (`CC`, default `cc`), with gcc's profile-guided optimisation where that is the compiler (see
// profileGuided). Without it @codistill/metrics parses with web-tree-sitter's WASM build:
// same scores, slower. Then the grammars whose lexers test character sets, from their
// packages' sources, into native/build/grammars/ (see buildGrammars).
//
//   node scripts/build-native.mjs             build, or fail with the reason
//   node scripts/build-native.mjs --optional  build if possible, else print why and exit 0 (postinstall)
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism, devNull, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const packageDir = dirname(dirname(fileURLToPath(import.meta.url)));
const source = join(packageDir, 'native', 'flat-tree.c');
const subtreeIds = join(packageDir, 'native', 'subtree-ids.c');
const refcounts = join(packageDir, 'native', 'single-thread-refcounts.h');
const languageTag = join(packageDir, 'native', 'language-tag.h');
const headers = [refcounts, languageTag, ...['node-record.h', 'subtree-ids.h'].map((name) => join(packageDir, 'native', name))];
const runtimeUnit = join(packageDir, 'native', 'runtime.c');
const grammarBinding = join(packageDir, 'native', 'grammar-binding.c');
const setContains = join(packageDir, 'native', 'set-contains.h');
const profiler = join(packageDir, 'scripts', 'profile-native.mjs');
const output = join(packageDir, 'native', 'build', 'flat-tree.node');
const buildInfo = join(packageDir, 'native', 'build', 'flat-tree.json');
const grammarsDir = join(packageDir, 'native', 'build', 'grammars');
const optional = process.argv.includes('--optional');
/** The runtime release whose sources are compiled in (the dependency below is pinned to it). */
const RUNTIME_VERSION = '0.25.1';
const RUNTIME_ALIAS = 'tree-sitter-runtime-sources';
// Node-API symbols are resolved from the node process at load time.
const LINK = process.platform === 'darwin' ? ['-undefined', 'dynamic_lookup'] : [];

try {
  await build();
} catch (error) {
  const reason = error instanceof Error ? error.message : String(error);
  if (!optional) {
    console.error(`@codistill/metrics: could not build the native parser: ${reason}`);
    process.exit(1);
  }
  console.log(`@codistill/metrics: native parser not built (${reason.split('\n')[0]}); CodeBLEU parses with WebAssembly instead (same scores, slower). Build it later with \`node scripts/build-native.mjs\`.`);
}

async function build() {
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
  checkRuntimeUnit(runtime);
  const { include_dir: napiInclude } = require('node-api-headers');
  const compiler = process.env.CC || 'cc';
  // Tuned for this processor: the parse 5-10 % faster (AMD EPYC, gcc 12). Tuning only schedules
  // instructions; the instruction set stays the default, so the modules run on any processor of
  // the architecture.
  const toolchain = { compiler, tuned: tuning(compiler), napiInclude };
  mkdirSync(dirname(output), { recursive: true });
  // Rebuilt when the C source, the runtime or these scripts (flags, profiling run) are newer than the module.
  if (!upToDate(output, [source, subtreeIds, ...headers, runtimeUnit, runtime, fileURLToPath(import.meta.url), profiler])) buildParser(toolchain, runtimeDir);
  await buildGrammars(toolchain, require);
}

/** native/build/flat-tree.node and its build info. The optimisation level comes with the profile (see profileGuided). */
function buildParser({ compiler, tuned, napiInclude }, runtimeDir) {
  const gcc = isGcc(compiler);
  const flags = [...tuned, '-DNDEBUG', '-fPIC', '-shared', '-std=c11', '-fvisibility=hidden', '-include', refcounts];
  // As tree-sitter's own build: POSIX and default (BSD) extensions for the runtime's portable code.
  const defines = ['-D_POSIX_C_SOURCE=200112L', '-D_DEFAULT_SOURCE', '-DTREE_SITTER_HIDDEN_SYMBOLS', '-DNAPI_VERSION=8', '-DNODE_GYP_MODULE_NAME=flat_tree'];
  const includes = [`-I${napiInclude}`, `-I${join(runtimeDir, 'include')}`, `-I${join(runtimeDir, 'src')}`];
  // Ends in .node: the profiling run loads it with require.
  const partial = output.replace(/\.node$/, `.${process.pid}.partial.node`);
  const compile = (extra) => {
    try {
      execFileSync(compiler, [...flags, ...extra, ...defines, ...includes, source, subtreeIds, runtimeUnit, ...LINK, '-o', partial], { stdio: ['ignore', 'ignore', 'pipe'] });
    } catch (error) {
      throw compileError(compiler, error);
    }
  };
  const profiles = mkdtempSync(join(tmpdir(), 'codistill-native-profile-'));
  try {
    const optimisation = profileGuided(gcc, compile, partial, profiles);
    compile(optimisation);
    // Renamed into place only when complete, so a half-written module is never loaded.
    renameSync(partial, output);
    // How it was built, for the benches' figures and the test that a gcc build has its profile.
    const build = { compiler: compilerVersion(compiler), gcc, flags: [...tuned, ...optimisation.filter((flag) => !flag.startsWith('-fprofile-dir'))], profileGuided: optimisation.includes('-fprofile-use') };
    writeFileSync(buildInfo, `${JSON.stringify(build)}\n`);
  } finally {
    rmSync(profiles, { recursive: true, force: true });
    rmSync(partial, { force: true });
  }
  console.log(`@codistill/metrics: built ${output}`);
}

/**
 * Compiles into native/build/grammars/<package>[.<grammar>].node, from the grammar packages'
 * own sources, each grammar whose lexer tests characters against sets (parser.h's set_contains),
 * with native/set-contains.h in place of that test; src/native-tree-reader.ts loads these
 * instead of the packages' prebuilt bindings. The parse ran 5-11 % faster for java, c, c_sharp,
 * cpp, go, rust and python (AMD EPYC, gcc 12; ruby's lexer has no sets, php's and javascript's
 * are small), the same trees. -O2 without a profile: a profile-guided -O3 build of c_sharp's
 * (six seconds a compile) was another 1.5 %. A grammar that does not compile keeps the prebuilt
 * binding, with a notice. Each module carries the version of the package it was compiled from,
 * which the loader checks; modules no grammar of the installed packages calls for are removed.
 */
async function buildGrammars({ compiler, tuned, napiInclude }, require) {
  const wanted = grammarSources(require);
  removeStaleGrammars(wanted.map((grammar) => grammar.output));
  const grammars = wanted.filter((grammar) => !upToDate(grammar.output, [...grammar.sources, grammarBinding, setContains, languageTag, fileURLToPath(import.meta.url)]));
  if (!grammars.length) return;
  mkdirSync(grammarsDir, { recursive: true });
  const run = promisify(execFile);
  const compileGrammar = async ({ name, version, entry, sources, output: built }) => {
    const partial = built.replace(/\.node$/, `.${process.pid}.partial.node`);
    const flags = [...tuned, '-O2', '-DNDEBUG', '-fPIC', '-shared', '-std=c11', '-fvisibility=hidden', `-DGRAMMAR_FUNCTION=${entry}`, `-DGRAMMAR_VERSION="${version}"`, '-DNODE_GYP_MODULE_NAME=grammar'];
    const includes = [`-I${napiInclude}`, `-I${dirname(sources[0])}`, '-include', setContains];
    try {
      await run(compiler, [...flags, ...includes, grammarBinding, ...sources, ...LINK, '-o', partial], { maxBuffer: 1 << 24 });
      renameSync(partial, built);
      console.log(`@codistill/metrics: compiled the ${name} grammar`);
    } catch (error) {
      console.log(`@codistill/metrics: ${name} grammar not compiled (${compileError(compiler, error).message.split('\n')[0]}); it parses with the package's prebuilt binary (same trees, slower)`);
    } finally {
      rmSync(partial, { force: true });
    }
  };
  // One compiler per core: c_sharp's parser.c alone is 35 MB.
  const queue = [...grammars];
  const worker = async () => {
    while (queue.length) await compileGrammar(queue.shift());
  };
  await Promise.all(Array.from({ length: Math.min(availableParallelism(), queue.length) }, worker));
}

/** Removes grammar modules other than `wanted` (left by grammars since upgraded, say). */
function removeStaleGrammars(wanted) {
  if (!existsSync(grammarsDir)) return;
  for (const file of readdirSync(grammarsDir)) {
    if (!wanted.includes(join(grammarsDir, file))) rmSync(join(grammarsDir, file), { force: true });
  }
}

/**
 * The grammars of this package's `tree-sitter-*` dependencies whose parser.c uses set_contains:
 * name (package, and the grammar's folder where a package holds several), the package's version,
 * exported function, C sources, module to build.
 */
function grammarSources(require) {
  const { dependencies } = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8'));
  const grammars = [];
  for (const name of Object.keys(dependencies)) {
    if (!name.startsWith('tree-sitter-') || name === RUNTIME_ALIAS) continue;
    const packageJson = require.resolve(`${name}/package.json`);
    const root = dirname(packageJson);
    const { version } = JSON.parse(readFileSync(packageJson, 'utf8'));
    // One grammar in src/, or several in <grammar>/src/ (tree-sitter-php: php and php_only).
    const folders = existsSync(join(root, 'src', 'parser.c')) ? [''] : readdirSync(root).filter((folder) => existsSync(join(root, folder, 'src', 'parser.c')));
    for (const folder of folders) {
      const src = join(root, folder, 'src');
      const parser = join(src, 'parser.c');
      const text = readFileSync(parser, 'latin1');
      const entry = /^(?:TS_PUBLIC )?const TSLanguage \*(tree_sitter_\w+)\(void\)/m.exec(text)?.[1];
      // A C++ scanner (older grammars) would need a C++ compiler: those keep the prebuilt binding.
      if (!text.includes('set_contains(') || !entry || existsSync(join(src, 'scanner.cc'))) continue;
      const scanner = join(src, 'scanner.c');
      const qualified = folder ? `${name}.${folder}` : name;
      grammars.push({ name: qualified, version, entry, sources: existsSync(scanner) ? [parser, scanner] : [parser], output: join(grammarsDir, `${qualified}.node`) });
    }
  }
  return grammars;
}

/** The error to report for a failed compiler run. */
function compileError(compiler, error) {
  return new Error(error.code === 'ENOENT' ? `no C compiler (${compiler}) on PATH; set CC or install one` : `${compiler} failed: ${String(error.stderr ?? error.message).trim()}`);
}

/**
 * The final build's optimisation flags. With gcc, profile-guided: an instrumented build parses
 * sample sources (scripts/profile-native.mjs) and writes its counts to `profiles`, and the final
 * build is laid out for the paths that ran hot, at -O3: the parse 15-20 % faster than the tuned
 * build without a profile (AMD EPYC, gcc 12; java 50.1 -> 41.6 µs a pair, ruby 69 -> 58), the
 * same trees. Other compilers (clang's profiles need llvm-profdata), and an instrumented build
 * or profiling run that fails, get -O2, which without a profile parsed 2-3 % faster than -O3.
 */
function profileGuided(gcc, compile, module, profiles) {
  const plain = ['-O2'];
  if (!gcc) return plain;
  try {
    // A gcc without its profiling library (libgcov) fails here: the plain build still works.
    compile(['-O3', '-fprofile-generate', '-fprofile-update=single', `-fprofile-dir=${profiles}`]);
    execFileSync(process.execPath, [profiler, module], { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (error) {
    const lines = String(error.stderr ?? error.message).trim().split('\n');
    // Node prints an uncaught error's location first, its message further down.
    const reason = lines.find((line) => /^\w*Error\b/.test(line)) ?? lines[0];
    console.log(`@codistill/metrics: building the native parser without a profile (the profiling build or run failed: ${reason})`);
    return plain;
  }
  return ['-O3', '-fprofile-use', `-fprofile-dir=${profiles}`, '-Wno-missing-profile'];
}

/** The runtime's source files a C file includes, in order. */
function includedSources(file) {
  return [...readFileSync(file, 'utf8').matchAll(/^#include "\.\/([\w.]+\.c)"/gm)].map((match) => match[1]);
}

/** native/runtime.c stands in for the runtime's lib.c: it must compile the same files. */
function checkRuntimeUnit(lib) {
  const expected = includedSources(lib).join(', ');
  const ours = includedSources(runtimeUnit).join(', ');
  if (ours !== expected) throw new Error(`native/runtime.c compiles ${ours}, but tree-sitter's lib.c compiles ${expected}`);
}

/** The first line of `compiler --version`. */
function compilerVersion(compiler) {
  return execFileSync(compiler, ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).split('\n')[0].trim();
}

/** Whether `compiler` is gcc (clang defines __GNUC__ too, and __clang__). */
function isGcc(compiler) {
  try {
    const macros = execFileSync(compiler, ['-dM', '-E', '-x', 'c', devNull], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    return macros.includes('#define __GNUC__') && !macros.includes('#define __clang__');
  } catch {
    return false;
  }
}

/** `-mtune=native` where the compiler takes it (gcc and clang on x86-64, not every other target). */
function tuning(compiler) {
  try {
    execFileSync(compiler, ['-mtune=native', '-x', 'c', '-c', '-o', devNull, devNull], { stdio: 'ignore' });
    return ['-mtune=native'];
  } catch {
    return [];
  }
}

/** Whether the module exists and is newer than every source it is built from. */
function upToDate(module, inputs) {
  if (!existsSync(module)) return false;
  const built = statSync(module).mtimeMs;
  return inputs.every((input) => statSync(input).mtimeMs < built);
}
