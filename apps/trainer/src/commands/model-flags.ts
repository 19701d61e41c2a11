import { isLocalFolder } from '@codistill/models';
import type { Command } from 'commander';

/**
 * `--revision`: the branch, tag or commit of a Hub `--model`, as vLLM's `serve` and `hf download`
 * name it (`train` says `--model_revision`, as transformers' scripts and TRL do). One name per
 * concept on every command that takes `--model`.
 */
export function revisionOption(command: Command, when = ''): Command {
  return command.option('--revision <rev>', `${when}branch, tag or commit of a Hub --model (default main)`);
}

/**
 * A folder has no revisions: a revision flag given with one would be ignored without a word (as
 * transformers ignores it), so it is refused, naming both flags; so is one given without its model.
 */
export function checkRevision(model: string | null | undefined, revision: string | undefined, flags = { model: '--model', revision: '--revision' }): void {
  if (revision === undefined) return;
  if (model == null) throw new Error(`${flags.revision} ${revision}: no ${flags.model} to pick a revision of`);
  if (isLocalFolder(model)) {
    throw new Error(`${flags.revision} ${revision}: ${flags.model} ${model} is a folder, which has no revisions (${flags.revision} picks one of a Hub id)`);
  }
}

/** A model as a record names it: `org/name@rev` with a revision given, else the id (or folder) alone. */
export const modelAt = (model: string, revision: string | null | undefined): string => (revision ? `${model}@${revision}` : model);

/** `--adapter-revision`: the branch, tag or commit of a Hub `--adapter`, as PEFT's `from_pretrained(..., revision=)` takes it. */
export function adapterRevisionOption(command: Command): Command {
  return command.option('--adapter-revision <rev>', 'branch, tag or commit of a Hub --adapter (default main)');
}

/** `--adapter-revision` needs a Hub `--adapter` to pick from: without one, or with a folder, it is refused. */
export const checkAdapterRevision = (adapter: string | undefined, revision: string | undefined): void =>
  checkRevision(adapter, revision, { model: '--adapter', revision: '--adapter-revision' });
