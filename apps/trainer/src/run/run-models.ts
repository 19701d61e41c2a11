import path from 'node:path';
import { isLocalFolder, resolveModel } from '@codistill/models';
import { readJsonIfPresent, writeJsonDurable } from '@codistill/util';
import type { RunConfig } from './config.js';
import { locate } from './paths.js';

/** `<out>/models.json`: for each Hub model of the run, the commit its revision named when the run first loaded it. */
export const MODELS_FILE = 'models.json';

interface Pin {
  id: string;
  revision: string;
  commit: string;
}

type Role = 'student' | 'codebert';
export type ModelPins = Partial<Record<Role, Pin>>;

/** The run's models as checkpoint folders, each looked up once per process. */
export interface RunModels {
  student(): Promise<string>;
  codebert(): Promise<string | null>;
}

/**
 * A folder stays as it is. A Hub id is pinned: the run records the commit its revision (default
 * main) named when a stage first loaded it, and every later stage and rerun loads that commit, so
 * a run resumed after the repository moved on trains, serves and evaluates the weights it started
 * with (what passing a commit hash as `revision` does in transformers).
 */
export function runModels(config: RunConfig): RunModels {
  const found = new Map<Role, Promise<string>>();
  const folder = (role: Role, id: string, revision: string | null) => {
    let dir = found.get(role);
    if (!dir) found.set(role, (dir = pinned(config.out, role, id, revision)));
    return dir;
  };
  return {
    student: () => folder('student', config.student, config.student_revision),
    codebert: async () => (config.train.codebert ? folder('codebert', config.train.codebert, config.train.codebert_revision) : null),
  };
}

/** The run's Hub pins, if any were made. */
export const readPins = (out: string): Promise<ModelPins | undefined> => readJsonIfPresent<ModelPins>(path.join(out, MODELS_FILE));

async function pinned(out: string, role: Role, id: string, revision: string | null): Promise<string> {
  const local = locate(id);
  if (isLocalFolder(local)) return local;
  const wanted = revision ?? 'main';
  const pins = (await readPins(out)) ?? {};
  const pin = pins[role];
  if (pin?.id === id && pin.revision === wanted) return resolveModel(id, { revision: pin.commit });
  const dir = await resolveModel(id, { revision: wanted });
  pins[role] = { id, revision: wanted, commit: path.basename(dir) }; // the Hub cache's snapshots/<commit>
  writeJsonDurable(path.join(out, MODELS_FILE), pins);
  return dir;
}
