import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import ort from 'onnxruntime-node';
import { allocate, halfToFloat32, float32ToHalf, isHalf, type DType, type TypedArray } from './dtype.js';
import type { ModelIR } from './ir.js';
import { modelToBytes } from './proto/serialize.js';
import { cpuFallbacks, describeFallbacks, probePlacement, type Placement } from './gpu/placement.js';
import { missingForCuda } from './gpu/nvidia.js';
import { externalPath } from './external-path.js';
import { quantizeFrozenProducts, type Int8ProductReport } from './int8-products.js';

const require = createRequire(import.meta.url);

/** The providers codistill runs on (CLI flags, options and checks read this one list). */
export const EXECUTION_PROVIDERS = ['cpu', 'cuda', 'webgpu'] as const;
export type ExecutionProvider = (typeof EXECUTION_PROVIDERS)[number];

export interface RunnerOptions {
  provider?: ExecutionProvider;
  /** Intra-op threads (default: ONNX Runtime's choice, one per core). */
  threads?: number;
  optimization?: 'disabled' | 'basic' | 'extended' | 'all';
  /**
   * Folder that relative external data locations are relative to (e.g. a checkpoint's folder).
   * Absolute locations need none. The model itself is passed as bytes, so nothing is written
   * beside the weights and read-only folders work.
   */
  externalDataDir?: string;
  /**
   * ONNX Runtime's CPU memory arena (default on): blocks are reused across runs instead of being
   * returned to the system and faulted in again. Off: 3-4x slower training steps on the CPU for a
   * few percent less peak (README, "Memory arena and memory pattern").
   */
  memoryArena?: boolean;
  /**
   * ONNX Runtime's memory pattern (default off): from the second run on, all of a run's
   * intermediate tensors are placed in one block planned from the first run. The arena keeps the
   * first run's blocks as well (it frees nothing), so the peak held both: 1.46 against 0.99 GiB on
   * the 58M LoRA step, 11.2 against 8.3 GiB on the 8B-wide slice, at the same or lower speed.
   */
  memoryPattern?: boolean;
  /**
   * Let the CPU provider pre-pack weights for its matrix kernels (default on). A weight read in two
   * layouts (a training graph's forward x W^T and backward g W) is then held twice; off keeps one
   * copy, and the kernels pack per call (negligible when a call multiplies hundreds of rows).
   */
  prepackWeights?: boolean;
  /**
   * Record ONNX Runtime's profile (a Chrome trace, one event per kernel call) to a file named from
   * this prefix, e.g. `/tmp/step`; Runner.endProfiling writes it and returns its path (see
   * summariseProfile).
   */
  profile?: string;
  /** ONNX Runtime log level: 0 verbose .. 4 fatal (default 3). */
  logLevel?: 0 | 1 | 2 | 3 | 4;
  /** Write the graph ONNX Runtime runs, after its optimisations, to this .onnx file (for inspection). */
  optimizedModelPath?: string;
  /**
   * Learn which provider runs each node (Runner.placement). Costs one extra session creation in a
   * child process; 'cuda' and 'webgpu' do it anyway unless allowCpuFallback is set.
   */
  placement?: boolean;
  /**
   * On 'cuda' or 'webgpu', run even when compute nodes fall back to the CPU (each fallback adds
   * device <-> host copies per run). Default: refuse, naming the ops and nodes. CLI: --allow-cpu-fallback.
   */
  allowCpuFallback?: boolean;
  /**
   * Compute the frozen weights' forward products in 8-bit integers (CPU only; see
   * quantizeFrozenProducts), their quantised copies written to and reused from `cacheDir`.
   */
  int8Products?: { cacheDir: string };
}

/** A tensor in host memory. float16/bfloat16 data is raw 16-bit patterns (see toFloat32). */
export interface HostTensor {
  dtype: DType;
  dims: number[];
  data: TypedArray;
}

export interface RunReport {
  ms: number;
  /** Resident set size after the run, and the process peak so far, in MiB. */
  rssMiB: number;
  peakRssMiB: number;
}

// ORT's JS API names these dtypes as codistill does, but has no bfloat16 tensor type: bfloat16
// stays inside graphs (weights cast at load), and graph inputs/outputs use float32 or float16.
const CROSSES_JS: ReadonlySet<DType> = new Set(['float32', 'float16', 'float64', 'int64', 'int32', 'int8', 'uint8', 'bool']);

export function hostTensor(dtype: DType, dims: number[], values?: ArrayLike<number> | ArrayLike<bigint>): HostTensor {
  const size = dims.reduce((a, b) => a * b, 1);
  if (values && values.length !== size) throw new Error(`tensor of dims [${dims}] needs ${size} values, got ${values.length}`);
  if (isHalf(dtype)) {
    const data = values instanceof Uint16Array ? values : float32ToHalf(dtype, (values as ArrayLike<number>) ?? new Float32Array(size));
    return { dtype, dims, data };
  }
  const data = allocate(dtype, size);
  if (values) {
    if (data instanceof BigInt64Array) for (let i = 0; i < size; i++) data[i] = BigInt(values[i]);
    else (data as Float32Array).set(values as ArrayLike<number>);
  }
  return { dtype, dims, data };
}

/** max |actual - expected| / max |expected|: one number per tensor, robust to near-zero entries. */
export function maxRelativeError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  if (actual.length !== expected.length) throw new Error(`lengths differ: ${actual.length} vs ${expected.length}`);
  let err = 0;
  let scale = 0;
  for (let i = 0; i < expected.length; i++) {
    err = Math.max(err, Math.abs(actual[i] - expected[i]));
    scale = Math.max(scale, Math.abs(expected[i]));
  }
  return err / scale;
}

/** Values of a float tensor as float32 (decodes float16/bfloat16 patterns). */
export function toFloat32(t: HostTensor): Float32Array {
  if (isHalf(t.dtype)) return halfToFloat32(t.dtype, t.data as Uint16Array);
  return t.data instanceof Float32Array ? t.data : Float32Array.from(t.data as ArrayLike<number>);
}

/** The deepest folder containing every path. */
function commonDir(files: string[]): string {
  const parts = files.map((f) => path.dirname(f).split(path.sep));
  const out: string[] = [];
  for (let i = 0; parts.every((p) => i < p.length && p[i] === parts[0][i]); i++) out.push(parts[0][i]);
  return out.join(path.sep) || path.sep;
}

/**
 * ONNX Runtime resolves external data against one folder and refuses locations that leave it, so
 * weights from several places (a student checkpoint, CodeBERT, a cache) are made relative to the
 * deepest folder holding them all. Locations may be absolute, or relative to `baseDir`.
 */
export function relocateExternalData(model: ModelIR, baseDir?: string): { model: ModelIR; dir?: string } {
  const ext = model.graph.initializers.filter((t) => t.external);
  if (!ext.length) return { model };
  const absolute = new Map<string, string>();
  for (const t of ext) absolute.set(t.name, externalPath(t, baseDir));
  const dir = commonDir([...absolute.values()]);
  const initializers = model.graph.initializers.map((t) =>
    t.external ? { ...t, external: { ...t.external, location: path.relative(dir, absolute.get(t.name)!) } } : t,
  );
  return { model: { ...model, graph: { ...model.graph, initializers } }, dir };
}

const ORT_DIR = path.dirname(require.resolve('onnxruntime-node/package.json'));

/** Providers this onnxruntime-node build can load: the CUDA one only when its libraries were installed. */
export function availableProviders(): Set<string> {
  const cudaLib = path.join(ORT_DIR, 'bin', 'napi-v6', process.platform, process.arch, 'libonnxruntime_providers_cuda.so');
  return new Set(ort.listSupportedBackends().flatMap((b) => (b.name !== 'cuda' || fs.existsSync(cudaLib) ? [b.name] : [])));
}

/** Downloads onnxruntime-node's CUDA provider libraries (needs network, CUDA 12 and cuDNN 9). */
export const CUDA_INSTALL = 'bash scripts/install-cuda-provider.sh (in a codistill checkout; it runs onnxruntime-node\'s own install script with ONNXRUNTIME_NODE_INSTALL=cuda12)';

/**
 * What to do when the CUDA provider cannot load: install its libraries; on a machine with no
 * NVIDIA GPU (no driver to find one) that cannot help, so the hint says so first.
 */
function cudaHint(): string {
  const install = `onnxruntime-node ships its CUDA provider as a separate download that codistill skips by default. Enable it with: ${CUDA_INSTALL} (needs network, CUDA 12 and cuDNN 9).`;
  const noGpu = missingForCuda();
  return noGpu ? `${noGpu}: CUDA runs only on an NVIDIA GPU with its driver, so use the webgpu or cpu provider here (CLI: --device webgpu). On a machine with one: ${install}` : install;
}

async function withCudaHint<T>(provider: ExecutionProvider, create: () => Promise<T>): Promise<T> {
  try {
    return await create();
  } catch (e) {
    const msg = (e as Error).message;
    if (provider === 'cuda' && /cuda|provider|shared library|\.so/i.test(msg)) throw new Error(`${msg}\n${cudaHint()}`);
    throw e;
  }
}

function refuseCpuFallback(p: Placement): void {
  const count = Object.values(cpuFallbacks(p)).reduce((a, n) => a + n, 0);
  if (!count) return;
  throw new Error(
    `execution provider '${p.provider}' has no kernel for ${count} compute nodes, which would run ` +
      `on the CPU with ${p.memcpyNodes} device <-> host copies per run: ${describeFallbacks(p)}. ` +
      `Pass allowCpuFallback: true (CLI: --allow-cpu-fallback) to run them there anyway.`,
  );
}

interface Session {
  session: ort.InferenceSession;
  placement?: Placement;
  int8?: Int8ProductReport;
}

function int8Model(model: ModelIR, opts: RunnerOptions): { model: ModelIR; int8?: Int8ProductReport } {
  if (!opts.int8Products) return { model };
  const { model: rewritten, report } = quantizeFrozenProducts(model, { cacheDir: opts.int8Products.cacheDir, externalDataDir: opts.externalDataDir });
  return { model: rewritten, int8: report };
}

async function createSession(model: ModelIR, opts: RunnerOptions): Promise<Session> {
  const provider = opts.provider ?? 'cpu';
  // ONNX Runtime's CUDA MatMulInteger takes int8 activations only, WebGPU has none.
  if (opts.int8Products && provider !== 'cpu') throw new Error(`int8 products run on the cpu provider only, not '${provider}'`);
  if (!availableProviders().has(provider)) {
    const hint = provider === 'cuda' ? `\n${cudaHint()}` : '';
    throw new Error(`execution provider '${provider}' is not available in this onnxruntime-node install${hint}`);
  }
  const options: ort.InferenceSession.SessionOptions = {
    executionProviders: [provider],
    graphOptimizationLevel: opts.optimization ?? 'all',
    ...(opts.optimizedModelPath ? { optimizedModelFilePath: opts.optimizedModelPath } : {}),
    logSeverityLevel: opts.logLevel ?? 3,
    enableCpuMemArena: opts.memoryArena ?? true,
    enableMemPattern: opts.memoryPattern ?? false,
  };
  if (opts.profile) Object.assign(options, { enableProfiling: true, profileFilePrefix: opts.profile });
  if (opts.threads) {
    options.intraOpNumThreads = opts.threads;
    options.interOpNumThreads = 1;
  }
  const { model: computed, int8 } = int8Model(model, opts);
  const located = relocateExternalData(computed, opts.externalDataDir);
  const session: Record<string, string> = {};
  if (located.dir) session.model_external_initializers_file_folder_path = located.dir;
  if (opts.prepackWeights === false) session.disable_prepacking = '1';
  if (Object.keys(session).length) options.extra = { session };
  const bytes = modelToBytes(located.model);
  // The CPU fallback check costs a session creation: GPU providers only, never plain CPU runs.
  const check = provider !== 'cpu' && !opts.allowCpuFallback;
  const placement = opts.placement || check ? await withCudaHint(provider, () => probePlacement(located.model, bytes, options, ORT_DIR)) : undefined;
  if (check) refuseCpuFallback(placement!);
  return { session: await withCudaHint(provider, () => ort.InferenceSession.create(bytes, options)), placement, int8 };
}

/**
 * A compiled graph on one execution provider: feeds and fetches by name, host tensors in and
 * out, and a timing/memory report per run.
 */
export class Runner {
  private constructor(
    private readonly session: ort.InferenceSession,
    readonly provider: ExecutionProvider,
    /** Which provider runs each node: with the `placement` option, and on GPU providers. */
    readonly placement?: Placement,
    private readonly profile?: string,
    /** What RunnerOptions.int8Products rewrote, when it was given. */
    readonly int8?: Int8ProductReport,
  ) {}

  static async create(model: ModelIR, opts: RunnerOptions = {}): Promise<Runner> {
    const { session, placement, int8 } = await createSession(model, opts);
    return new Runner(session, opts.provider ?? 'cpu', placement, opts.profile, int8);
  }

  get inputNames(): readonly string[] {
    return this.session.inputNames;
  }

  get outputNames(): readonly string[] {
    return this.session.outputNames;
  }

  async run(
    feeds: Record<string, HostTensor>,
    fetches: string[] = [...this.session.outputNames],
  ): Promise<{ outputs: Record<string, HostTensor>; report: RunReport }> {
    const ortFeeds: Record<string, ort.Tensor> = {};
    for (const [name, t] of Object.entries(feeds)) {
      if (!this.session.inputNames.includes(name)) throw new Error(`feed '${name}' is not an input of the graph`);
      if (!CROSSES_JS.has(t.dtype)) throw new Error(`feed '${name}': ${t.dtype} tensors cannot cross the JS boundary; cast in the graph`);
      ortFeeds[name] = new ort.Tensor(t.dtype as ort.Tensor.Type, t.data as never, t.dims);
    }
    const missing = this.session.inputNames.filter((n) => !(n in feeds));
    if (missing.length) throw new Error(`missing feeds: ${missing.join(', ')}`);
    const t0 = performance.now();
    const result = await this.session.run(ortFeeds, fetches);
    const ms = performance.now() - t0;
    const outputs: Record<string, HostTensor> = {};
    for (const [name, v] of Object.entries(result)) {
      const t = v as ort.Tensor;
      outputs[name] = { dtype: t.type as DType, dims: [...t.dims], data: t.data as TypedArray };
    }
    const mib = 1024 * 1024;
    const report = {
      ms,
      rssMiB: process.memoryUsage().rss / mib,
      peakRssMiB: (process.resourceUsage().maxRSS * 1024) / mib,
    };
    return { outputs, report };
  }

  /** Stop recording the profile (RunnerOptions.profile) and return the file ONNX Runtime wrote. */
  endProfiling(): string {
    if (!this.profile) throw new Error('endProfiling: the runner was created without the profile option');
    this.session.endProfiling();
    // ONNX Runtime names the file `<prefix>_<start time>.json`: the newest of those is this runner's.
    const [dir, base] = [path.dirname(this.profile), `${path.basename(this.profile)}_`];
    const files = fs
      .readdirSync(dir)
      .filter((f) => f.startsWith(base) && f.endsWith('.json'))
      .map((f) => path.join(dir, f));
    if (!files.length) throw new Error(`endProfiling: ONNX Runtime wrote no ${this.profile}_*.json`);
    return files.reduce((a, b) => (fs.statSync(b).mtimeMs > fs.statSync(a).mtimeMs ? b : a));
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}
