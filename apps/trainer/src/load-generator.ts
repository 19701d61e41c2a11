import { adapterFeeds, loadAdapter, loraHook } from '@codistill/lora';
import { Checkpoint, Generator, resolveModel, TextTokenizer } from '@codistill/models';

/** A model (folder or Hub id), its tokenizer and a Generator, with a PEFT adapter applied when given. */
export async function loadGenerator(model: string, opts: { adapter?: string; threads?: number }) {
  const dir = await resolveModel(model);
  const tokenizer = TextTokenizer.fromDir(dir);
  const adapter = opts.adapter ? loadAdapter(opts.adapter) : undefined;
  const generator = await Generator.create(new Checkpoint(dir), {
    threads: opts.threads,
    linear: adapter && loraHook(adapter.config).hook,
    feeds: adapter && adapterFeeds(adapter),
  });
  return { dir, tokenizer, generator };
}
