import { adapterFeeds, loadAdapter, loraHook } from '@codistill/lora';
import { Checkpoint, Generator, resolveModel, TextTokenizer, type GeneratorOptions } from '@codistill/models';

export interface StudentOptions {
  /** PEFT adapter folder applied on top of the base weights. */
  adapter?: string;
  threads?: number;
  provider?: GeneratorOptions['provider'];
  allowCpuFallback?: boolean;
}

/** A model (folder or Hub id), its tokenizer, and the options that build it (with the adapter's hook and tensors when given). */
export async function loadStudent(model: string, opts: StudentOptions) {
  const dir = await resolveModel(model);
  const adapter = opts.adapter ? loadAdapter(opts.adapter) : undefined;
  const options: GeneratorOptions = {
    threads: opts.threads,
    provider: opts.provider,
    allowCpuFallback: opts.allowCpuFallback,
    linear: adapter && loraHook(adapter.config).hook,
    feeds: adapter && adapterFeeds(adapter),
  };
  return { dir, tokenizer: TextTokenizer.fromDir(dir), checkpoint: new Checkpoint(dir), options };
}

/** loadStudent plus a Generator over it. */
export async function loadGenerator(model: string, opts: StudentOptions) {
  const student = await loadStudent(model, opts);
  return { ...student, generator: await Generator.create(student.checkpoint, student.options) };
}
