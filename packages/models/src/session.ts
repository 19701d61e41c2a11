import ort from 'onnxruntime-node';
import { modelToBytes, relocateExternalData, type DType, type HostTensor, type ModelIR, type TypedArray } from '@codistill/graph';

export interface SessionOptions {
  provider?: 'cpu' | 'cuda' | 'webgpu';
  /** Intra-op threads (default: one per core). */
  threads?: number;
}

/**
 * An ONNX Runtime session over a model graph whose weights are external data in
 * `externalDataDir`. The model is passed as bytes and ORT is told where external locations are
 * relative to (`session.model_external_initializers_file_folder_path`), so nothing is written
 * next to the checkpoint and read-only checkpoint folders work.
 */
export class ModelSession {
  private constructor(private readonly session: ort.InferenceSession) {}

  static async create(model: ModelIR, externalDataDir: string, opts: SessionOptions = {}): Promise<ModelSession> {
    const options: ort.InferenceSession.SessionOptions = {
      executionProviders: [opts.provider ?? 'cpu'],
      graphOptimizationLevel: 'all',
      logSeverityLevel: 3,
    };
    const located = relocateExternalData(model, externalDataDir);
    if (located.dir) options.extra = { session: { model_external_initializers_file_folder_path: located.dir } };
    if (opts.threads) {
      options.intraOpNumThreads = opts.threads;
      options.interOpNumThreads = 1;
    }
    return new ModelSession(await ort.InferenceSession.create(modelToBytes(located.model), options));
  }

  get inputNames(): readonly string[] {
    return this.session.inputNames;
  }

  async run(feeds: Record<string, HostTensor>, fetches?: string[]): Promise<Record<string, HostTensor>> {
    const ortFeeds: Record<string, ort.Tensor> = {};
    for (const [name, t] of Object.entries(feeds)) ortFeeds[name] = new ort.Tensor(t.dtype as ort.Tensor.Type, t.data as never, t.dims);
    const result = await this.session.run(ortFeeds, fetches ?? [...this.session.outputNames]);
    const out: Record<string, HostTensor> = {};
    for (const [name, v] of Object.entries(result)) {
      out[name] = { dtype: v.type as DType, dims: [...v.dims], data: v.data as TypedArray };
    }
    return out;
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}
