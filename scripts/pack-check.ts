// The published packages as a user gets them. Builds every publishable package (turbo), packs each
// with `pnpm pack` (which applies publishConfig and turns `workspace:*` into versions), lints the
// tarballs with publint and @arethetypeswrong/cli, installs them all with npm into a scratch project
// outside the workspace, and there loads each one with `require` and with `import`, compiles a
// TypeScript consumer of each under both conditions, and runs the README examples that name a file
// (a fenced js block whose first line is `// example.mjs` or `// example.cjs`).
//
// Usage: pnpm pack-check [--skip-build] [--keep] (the last step of `pnpm test`; through pnpm, so
// that turbo finds it)
//   --skip-build  use the dist/ folders as they are
//   --keep        leave the tarballs and the scratch project in the temp dir (their path is printed)
// Needs the npm registry (the packages' third-party dependencies are installed from it) and tar.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = new Set(process.argv.slice(2));
const KEEP = args.has('--keep');
const SKIP_BUILD = args.has('--skip-build');

/** attw's strict profile: node10 (main/types, for TypeScript's older moduleResolution), node16 from CJS and from ESM, and bundlers. */
const ATTW_PROFILE = 'strict';

/** A few exports each package must have at runtime under both conditions (beyond "every export its typings declare"). */
const KNOWN_EXPORTS: Record<string, string[]> = {
  '@codistill/util': ['writeFileDurable', 'readJsonl', 'passAtK'],
  '@codistill/metrics': ['calcCodeBleu', 'loadLanguage', 'corpusSyntaxMatch', 'passAtK'],
  '@codistill/graph': ['GraphBuilder', 'ops'],
  '@codistill/data': ['loadHumanEval', 'loadMbpp'],
  '@codistill/harness': ['evaluateSamples'],
  '@codistill/models': ['Checkpoint', 'resolveModel'],
  '@codistill/lora': ['parseLoraConfig', 'saveAdapter'],
  '@codistill/train': ['train'],
};

/** Every README example that names a .mjs/.cjs file must run; these packages must have at least one of each. */
const REQUIRED_EXAMPLES: Record<string, string[]> = { '@codistill/metrics': ['.mjs', '.cjs'] };

/** A README path into the folder beside the repository that only the project's developers have. */
const BESIDE_REPO = /\.\.\/shared\b/;

interface Workspace {
  name: string;
  version: string;
  dir: string;
}
interface Failure {
  pkg: string;
  step: string;
  message: string;
}

const failures: Failure[] = [];
function fail(pkg: string, step: string, message: string): void {
  failures.push({ pkg, step, message: message.trim() });
  console.error(`FAIL ${pkg} [${step}]: ${message.trim()}`);
}

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(command: string, argv: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<Result> {
  return new Promise((resolve) => {
    const child = spawn(command, argv, { cwd: options.cwd ?? ROOT, env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => {
      stderr += `\n(killed after ${(options.timeoutMs ?? 0) / 1000} s)`;
      child.kill('SIGKILL');
    }, options.timeoutMs ?? 600_000);
    child.on('error', (error) => {
      clearTimeout(timer);
      resolve({ code: -1, stdout, stderr: stderr + String(error) });
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

const tail = (text: string, lines = 40) => text.trim().split('\n').slice(-lines).join('\n');
const output = (r: Result) => tail(`${r.stdout}\n${r.stderr}`);

/** Runs `work` over `items`, `limit` at a time. */
async function eachLimited<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await work(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

let stepStart = performance.now();
const timings: string[] = [];
function step(title: string): void {
  const now = performance.now();
  if (timings.length) timings[timings.length - 1] += ` ${((now - stepStart) / 1000).toFixed(1)} s`;
  stepStart = now;
  timings.push(title);
  console.log(`\n== ${title}`);
}

const readJson = (file: string) => JSON.parse(fs.readFileSync(file, 'utf8'));

/** The workspace's publishable packages: packages/* and apps/* that are not private. */
function publishable(): Workspace[] {
  const found: Workspace[] = [];
  for (const group of ['packages', 'apps']) {
    const groupDir = path.join(ROOT, group);
    if (!fs.existsSync(groupDir)) continue;
    for (const entry of fs.readdirSync(groupDir).sort()) {
      const manifest = path.join(groupDir, entry, 'package.json');
      if (!fs.existsSync(manifest)) continue;
      const pkg = readJson(manifest);
      if (!pkg.private) found.push({ name: pkg.name, version: pkg.version, dir: path.join(groupDir, entry) });
    }
  }
  return found;
}

/** Environment for npm in the scratch project: pnpm's npm_* variables (its config, this script's package) stay out. */
function npmEnv(): NodeJS.ProcessEnv {
  const keep = new Set(['npm_config_registry', 'npm_config_cache', 'npm_config_cafile', 'npm_config_strict_ssl', 'npm_config_proxy', 'npm_config_https_proxy', 'npm_config_noproxy']);
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!key.toLowerCase().startsWith('npm_') || keep.has(key.toLowerCase())) env[key] = value;
  env.ONNXRUNTIME_NODE_INSTALL = 'skip'; // onnxruntime-node's install script would download CUDA libraries
  return env;
}

/** The package's README as packed: first code block `npm install <name>`, nothing from beside the repository. */
function checkReadme(ws: Workspace, unpacked: string): string | undefined {
  const readme = path.join(unpacked, 'README.md');
  if (!fs.existsSync(readme)) {
    fail(ws.name, 'readme', 'README.md is not in the tarball');
    return undefined;
  }
  const text = fs.readFileSync(readme, 'utf8');
  const firstBlock = /```[a-z]*\n([\s\S]*?)```/.exec(text);
  if (!firstBlock || firstBlock[1].trim() !== `npm install ${ws.name}`) {
    fail(ws.name, 'readme', `the README's first code block must be the install line \`npm install ${ws.name}\`; it is ${firstBlock ? JSON.stringify(firstBlock[1].trim().split('\n')[0]) : 'missing'}`);
  }
  for (const [index, line] of text.split('\n').entries()) {
    if (BESIDE_REPO.test(line)) fail(ws.name, 'readme', `README.md:${index + 1} points at the project's shared folder beside the repository, which a user does not have: ${line.trim()}`);
  }
  return text;
}

/** The packed manifest: no workspace: ranges; internal dependencies at the versions packed here (so npm takes the tarballs). */
function checkManifest(ws: Workspace, unpacked: string, versions: Map<string, string>): void {
  const pkg = readJson(path.join(unpacked, 'package.json'));
  for (const field of ['dependencies', 'peerDependencies', 'optionalDependencies']) {
    for (const [dep, range] of Object.entries<string>(pkg[field] ?? {})) {
      if (range.startsWith('workspace:')) fail(ws.name, 'manifest', `${field}.${dep} is still "${range}" in the packed package.json`);
      else if (versions.has(dep) && range !== versions.get(dep)) fail(ws.name, 'manifest', `${field}.${dep} is "${range}", not the workspace's version ${versions.get(dep)}`);
    }
  }
  if (JSON.stringify(pkg.exports ?? {}).includes('/src/')) fail(ws.name, 'manifest', 'exports still point at src/: publishConfig was not applied');
}

/** Exported value names (not types) the typings of `specifier` declare, as seen from `file`. */
function typedValueExports(checker: ts.TypeChecker, file: ts.SourceFile): string[] | undefined {
  const declaration = file.statements.find(ts.isImportEqualsDeclaration) ?? file.statements.find(ts.isImportDeclaration);
  if (!declaration) return undefined;
  const specifier = ts.isImportEqualsDeclaration(declaration)
    ? ((declaration.moduleReference as ts.ExternalModuleReference).expression as ts.StringLiteral)
    : (declaration.moduleSpecifier as ts.StringLiteral);
  const moduleSymbol = checker.getSymbolAtLocation(specifier);
  if (!moduleSymbol) return undefined;
  return checker
    .getExportsOfModule(moduleSymbol)
    .filter((symbol) => {
      const target = symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
      return (target.flags & ts.SymbolFlags.Value) !== 0;
    })
    .map((symbol) => symbol.name)
    .filter((name) => name !== 'default' && name !== '__esModule')
    .sort();
}

/** Compiles an ESM (.mts) and a CommonJS (.cts) consumer of every package; returns each one's declared value exports. */
function typeConsumers(scratch: string, packages: Workspace[]): Map<string, { esm?: string[]; cjs?: string[] }> {
  const dir = path.join(scratch, 'consumers');
  fs.mkdirSync(dir, { recursive: true });
  const files: { ws: Workspace; kind: 'esm' | 'cjs'; file: string }[] = [];
  for (const ws of packages) {
    const base = ws.name.replace(/^@/, '').replace('/', '__');
    const esm = path.join(dir, `${base}.mts`);
    const cjs = path.join(dir, `${base}.cts`);
    fs.writeFileSync(esm, `import * as ns from '${ws.name}';\nexport const keys: string[] = Object.keys(ns);\n`);
    fs.writeFileSync(cjs, `import ns = require('${ws.name}');\nexport const keys: string[] = Object.keys(ns);\n`);
    files.push({ ws, kind: 'esm', file: esm }, { ws, kind: 'cjs', file: cjs });
  }
  const program = ts.createProgram(
    files.map((f) => f.file),
    {
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      target: ts.ScriptTarget.ES2022,
      lib: ['lib.es2023.d.ts'],
      strict: true,
      noEmit: true,
      // our typings are checked (a user's skipLibCheck may be off), third-party ones are not asked for
      skipLibCheck: false,
      types: ['node'],
      typeRoots: [path.join(ROOT, 'node_modules', '@types')],
    },
  );
  const checker = program.getTypeChecker();
  const ours = path.join(scratch, 'node_modules', '@codistill') + path.sep;
  const format = (d: ts.Diagnostic) => {
    const where = d.file ? `${path.relative(scratch, d.file.fileName)}:${d.file.getLineAndCharacterOfPosition(d.start ?? 0).line + 1}: ` : '';
    return where + ts.flattenDiagnosticMessageText(d.messageText, '\n');
  };
  const declared = new Map<string, { esm?: string[]; cjs?: string[] }>();
  for (const { ws, kind, file } of files) {
    const source = program.getSourceFile(file)!;
    const diagnostics = [...program.getSyntacticDiagnostics(source), ...program.getSemanticDiagnostics(source)];
    for (const d of diagnostics) fail(ws.name, `types (${kind})`, format(d));
    const entry = declared.get(ws.name) ?? {};
    entry[kind] = typedValueExports(checker, source);
    declared.set(ws.name, entry);
  }
  // Errors inside our own typings (a consumer with skipLibCheck off sees them).
  for (const source of program.getSourceFiles()) {
    if (!source.fileName.startsWith(ours)) continue;
    const pkgName = '@codistill/' + source.fileName.slice(ours.length).split(path.sep)[0];
    for (const d of program.getSemanticDiagnostics(source)) fail(pkgName, 'types (declarations)', format(d));
  }
  return declared;
}

const RUNTIME_CJS = `
const name = process.argv[1];
const m = require(name);
process.stdout.write(JSON.stringify({ resolved: require.resolve(name), keys: Object.keys(m).sort() }));
`;
const RUNTIME_ESM = `
const name = process.argv[1];
const m = await import(name);
process.stdout.write(JSON.stringify({ resolved: import.meta.resolve(name), keys: Object.keys(m).filter((k) => k !== 'default').sort() }));
`;

async function main(): Promise<void> {
  const started = performance.now();
  const rootPkg = readJson(path.join(ROOT, 'package.json'));
  const pnpmSpec = String(rootPkg.packageManager ?? 'pnpm@10').split('+')[0];
  const packages = publishable();
  const versions = new Map(packages.map((ws) => [ws.name, ws.version]));
  console.log(`pack check: ${packages.map((ws) => ws.name).join(', ')}`);

  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'codistill-pack-check-'));
  if (!path.relative(ROOT, work).startsWith('..')) throw new Error(`the temp dir ${work} is inside the workspace; set TMPDIR elsewhere`);
  const tarballDir = path.join(work, 'tarballs');
  const scratch = path.join(work, 'project');
  fs.mkdirSync(tarballDir);
  fs.mkdirSync(scratch);
  try {
    if (!SKIP_BUILD) {
      step('build (turbo)');
      const turbo = path.join(ROOT, 'node_modules', '.bin', 'turbo');
      const r = await run(turbo, ['run', 'build', '--output-logs=errors-only', ...packages.map((ws) => `--filter=${ws.name}`)]);
      if (r.code !== 0) {
        fail('(all)', 'build', output(r));
        return;
      }
    }

    step('pack (pnpm pack)');
    const filters = packages.flatMap((ws) => ['--filter', ws.name]);
    const packed = await run('npx', ['-y', pnpmSpec, '-r', ...filters, 'pack', '--pack-destination', tarballDir, '--json']);
    if (packed.code !== 0) {
      fail('(all)', 'pack', output(packed));
      return;
    }
    const tarballs = new Map<string, string>();
    for (const ws of packages) {
      const file = path.join(tarballDir, `${ws.name.replace(/^@/, '').replace('/', '-')}-${ws.version}.tgz`);
      if (fs.existsSync(file)) tarballs.set(ws.name, file);
      else fail(ws.name, 'pack', `no tarball ${path.basename(file)} in ${tarballDir}`);
    }

    step('packed manifest and README');
    const readmes = new Map<string, string>();
    for (const ws of packages) {
      const tarball = tarballs.get(ws.name);
      if (!tarball) continue;
      const unpacked = path.join(work, 'unpacked', ws.name);
      fs.mkdirSync(unpacked, { recursive: true });
      const r = await run('tar', ['-xzf', tarball, '-C', unpacked, '--strip-components=1']);
      if (r.code !== 0) {
        fail(ws.name, 'unpack', output(r));
        continue;
      }
      checkManifest(ws, unpacked, versions);
      const readme = checkReadme(ws, unpacked);
      if (readme) readmes.set(ws.name, readme);
    }

    step(`publint --strict, attw --profile ${ATTW_PROFILE}`);
    const bin = (name: string) => path.join(ROOT, 'node_modules', '.bin', name);
    await eachLimited([...tarballs], 2, async ([name, tarball]) => {
      const lint = await run(bin('publint'), ['run', tarball, '--strict', '--level', 'warning']);
      if (lint.code !== 0 || /\b(Errors|Warnings):/.test(lint.stdout)) fail(name, 'publint', output(lint));
      const attw = await run(bin('attw'), [tarball, '--profile', ATTW_PROFILE, '--no-definitely-typed', '--format', 'ascii', '--no-color']);
      if (attw.code !== 0) fail(name, 'attw', output(attw));
    });

    step('npm install of all tarballs into a scratch project');
    fs.writeFileSync(path.join(scratch, 'package.json'), JSON.stringify({ name: 'codistill-pack-check', version: '0.0.0', private: true }, null, 2) + '\n');
    // One command, so that each package's @codistill/* dependencies are the tarballs, not the registry.
    const install = await run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', ...tarballs.values()], { cwd: scratch, env: npmEnv(), timeoutMs: 600_000 });
    if (install.code !== 0) {
      fail('(all)', 'npm install', output(install));
      return;
    }
    const lock = readJson(path.join(scratch, 'package-lock.json'));
    for (const [key, entry] of Object.entries<{ resolved?: string; version?: string }>(lock.packages ?? {})) {
      const match = /(?:^|\/)node_modules\/(@codistill\/[^/]+)$/.exec(key);
      if (!match) continue;
      if (key !== `node_modules/${match[1]}`) fail(match[1], 'npm install', `a second copy was installed at ${key}`);
      if (!entry.resolved?.startsWith('file:')) fail(match[1], 'npm install', `installed from ${entry.resolved ?? 'the registry'}, not from its tarball`);
    }

    step('require and import of each package');
    const requireFlags = (await run(process.execPath, ['--no-experimental-require-module', '-e', '0'])).code === 0 ? ['--no-experimental-require-module'] : [];
    const runtime = new Map<string, { cjs?: string[]; esm?: string[] }>();
    await eachLimited(packages, 2, async (ws) => {
      if (!tarballs.has(ws.name)) return;
      const entry: { cjs?: string[]; esm?: string[] } = {};
      const probes: [kind: 'cjs' | 'esm', argv: string[], file: string][] = [
        // require(esm) off where Node has it, so an ES-module-only dependency cannot hide behind Node 20.19+/22.12+
        ['cjs', [...requireFlags, '-e', RUNTIME_CJS, ws.name], 'dist/index.cjs'],
        ['esm', ['--input-type=module', '-e', RUNTIME_ESM, ws.name], 'dist/index.js'],
      ];
      for (const [kind, argv, file] of probes) {
        const stage = kind === 'cjs' ? 'require' : 'import';
        const r = await run(process.execPath, argv, { cwd: scratch, env: npmEnv(), timeoutMs: 120_000 });
        if (r.code !== 0) {
          fail(ws.name, stage, output(r));
          continue;
        }
        const { resolved, keys } = JSON.parse(r.stdout) as { resolved: string; keys: string[] };
        const resolvedPath = resolved.startsWith('file:') ? fileURLToPath(resolved) : resolved;
        const expected = path.join(scratch, 'node_modules', ws.name, file);
        if (fs.realpathSync(resolvedPath) !== fs.realpathSync(expected)) fail(ws.name, stage, `resolved to ${resolvedPath}, expected ${expected}`);
        if (keys.length === 0) fail(ws.name, stage, 'no exports');
        const missing = (KNOWN_EXPORTS[ws.name] ?? []).filter((name) => !keys.includes(name));
        if (missing.length) fail(ws.name, stage, `missing exports: ${missing.join(', ')}`);
        entry[kind] = keys;
      }
      if (entry.cjs && entry.esm && entry.cjs.join() !== entry.esm.join()) {
        const onlyCjs = entry.cjs.filter((k) => !entry.esm!.includes(k));
        const onlyEsm = entry.esm.filter((k) => !entry.cjs!.includes(k));
        fail(ws.name, 'require vs import', `the two builds export different names: only require: [${onlyCjs.join(', ')}], only import: [${onlyEsm.join(', ')}]`);
      }
      runtime.set(ws.name, entry);
    });

    step('TypeScript consumers (.mts and .cts, module nodenext)');
    const declared = typeConsumers(scratch, packages.filter((ws) => tarballs.has(ws.name)));
    for (const [name, kinds] of declared) {
      for (const kind of ['esm', 'cjs'] as const) {
        const typed = kinds[kind];
        const actual = runtime.get(name)?.[kind];
        if (!typed) fail(name, `types (${kind})`, 'the typings declare no module TypeScript can read exports from');
        if (!typed || !actual) continue;
        const notAtRuntime = typed.filter((k) => !actual.includes(k));
        const untyped = actual.filter((k) => !typed.includes(k));
        if (notAtRuntime.length) fail(name, `types vs ${kind === 'cjs' ? 'require' : 'import'}`, `declared but not exported at runtime: ${notAtRuntime.join(', ')}`);
        if (untyped.length) fail(name, `types vs ${kind === 'cjs' ? 'require' : 'import'}`, `exported at runtime but not declared: ${untyped.join(', ')}`);
      }
    }

    const typedCounts = [...declared].map(([name, kinds]) => `${name.replace('@codistill/', '')} ${kinds.esm?.length ?? '-'}/${kinds.cjs?.length ?? '-'}`);
    console.log(`declared value exports (import/require): ${typedCounts.join(', ')}`);

    step('README examples');
    for (const ws of packages) {
      const readme = readmes.get(ws.name);
      if (!readme) continue;
      const examples = [...readme.matchAll(/```(?:js|javascript)\n\/\/ (\S+\.(?:mjs|cjs))\b[^\n]*\n([\s\S]*?)```/g)];
      for (const extension of REQUIRED_EXAMPLES[ws.name] ?? []) {
        if (!examples.some((e) => e[1].endsWith(extension))) fail(ws.name, 'readme example', `the README has no runnable example (a js block starting \`// example${extension}\`)`);
      }
      for (const [, file, code] of examples) {
        const dir = path.join(scratch, 'examples', ws.name);
        fs.mkdirSync(dir, { recursive: true });
        fs.writeFileSync(path.join(dir, file), code);
        const r = await run(process.execPath, [path.join(dir, file)], { cwd: dir, env: npmEnv(), timeoutMs: 120_000 });
        if (r.code !== 0) fail(ws.name, `readme example ${file}`, output(r));
        else console.log(`${ws.name} ${file}: ${r.stdout.trim().split('\n').join(' ').slice(0, 200)}`);
      }
    }
  } finally {
    step('done');
    console.log(timings.slice(0, -1).join('\n'));
    console.log(`total ${((performance.now() - started) / 1000).toFixed(1)} s`);
    if (KEEP) console.log(`kept: ${work}`);
    else fs.rmSync(work, { recursive: true, force: true });
  }
}

main()
  .catch((error: unknown) => fail('(pack check)', 'crash', error instanceof Error ? (error.stack ?? error.message) : String(error)))
  .finally(() => {
    if (failures.length) {
      console.error(`\npack check: ${failures.length} failure(s)`);
      const headline = (message: string) => message.split('\n').find((line) => /Error\b|error TS|problems? found|✖|❌|👺|⚠️/.test(line))?.trim() ?? message.split('\n')[0];
      for (const f of failures) console.error(`- ${f.pkg} [${f.step}]: ${headline(f.message)}`);
      process.exitCode = 1;
    } else console.log('\npack check: every package packs, lints clean, installs, loads with require and import, and its README examples run');
  });
