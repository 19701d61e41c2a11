import { Checkpoint, Generator, resolveModel, TextTokenizer, type GeneratorOptions } from '@codistill/models';
import { checkAdapterOnModel } from './fit.js';
import { adapterFeeds, loadAdapter, resolveAdapter } from './peft-io.js';
import { loraHook } from './layer.js';

export interface LoadWithAdapterOptions {
  /** Branch, tag or commit of a Hub model id (default main; see resolveModel). */
  revision?: string;
  /** PEFT adapter (folder or Hub id) applied on top of the base weights (unmerged: its tensors are graph inputs). */
  adapter?: string;
  /** Branch, tag or commit of a Hub `adapter` (default main; PEFT's `from_pretrained(..., revision=)`). */
  adapterRevision?: string;
  threads?: number;
  provider?: GeneratorOptions['provider'];
  allowCpuFallback?: boolean;
}

/**
 * A model (folder or Hub id), its tokenizer, and the options that build its graphs (Generator,
 * TokenScorer) with the adapter's hook and tensors when one is given. An adapter that does not fit
 * the model (saved for another one, or with settings PEFT would refuse on it) is refused here,
 * naming the tensor or setting, before any graph is built or request served.
 */
export async function loadModelWithAdapter(model: string, opts: LoadWithAdapterOptions) {
  const dir = await resolveModel(model, { revision: opts.revision });
  const checkpoint = new Checkpoint(dir);
  const adapter = opts.adapter ? loadAdapter(await resolveAdapter(opts.adapter, { revision: opts.adapterRevision })) : undefined;
  if (adapter) checkAdapterOnModel(adapter, checkpoint);
  const options: GeneratorOptions = {
    threads: opts.threads,
    provider: opts.provider,
    allowCpuFallback: opts.allowCpuFallback,
    linear: adapter && loraHook(adapter.config).hook,
    feeds: adapter && adapterFeeds(adapter),
  };
  return { dir, tokenizer: TextTokenizer.fromDir(dir), checkpoint, options };
}

/** loadModelWithAdapter plus a Generator over it (release it with `generator.release()`). */
export async function loadGeneratorWithAdapter(model: string, opts: LoadWithAdapterOptions) {
  const loaded = await loadModelWithAdapter(model, opts);
  return { ...loaded, generator: await Generator.create(loaded.checkpoint, loaded.options) };
}
