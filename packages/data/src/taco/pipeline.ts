import { homedir } from 'node:os';
import { join } from 'node:path';
import { downloadTacoFromHub } from './hub.js';
import { loadTacoFiles, type LoadedTaco } from './load.js';
import { selectTaco, type SelectedPair, type SelectionOptions, type SelectionReport } from './select.js';

export interface PreparedTaco extends LoadedTaco {
  files: string[];
  pairs: SelectedPair[];
  report: SelectionReport;
}

/**
 * Inputs are local files, or `hub:train` / `hub:test` for BAAI/TACO's parquet shards (downloaded
 * once into `cacheDir`). Loads them and applies the paper's selection; both `codistill contexts`
 * and `codistill data taco` go through here so they agree on which pairs (and ids) exist.
 */
export async function prepareTaco(
  inputs: string[],
  options: SelectionOptions & { cacheDir?: string; onDownload?: (path: string) => void } = {},
): Promise<PreparedTaco> {
  const files: string[] = [];
  for (const input of inputs) {
    const hub = /^hub:(train|test)$/.exec(input);
    if (!hub) {
      files.push(input);
      continue;
    }
    const cacheDir = options.cacheDir ?? join(homedir(), '.cache', 'codistill', 'taco');
    files.push(...(await downloadTacoFromHub({ split: hub[1] as 'train' | 'test', cacheDir, onFile: (f) => options.onDownload?.(f.path) })));
  }
  const loaded = await loadTacoFiles(files);
  return { files, ...loaded, ...selectTaco(loaded.problems, options) };
}
