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
 * once into the Hugging Face cache: `cacheDir`, default HF_HUB_CACHE, else $HF_HOME/hub, else
 * ~/.cache/huggingface/hub; see downloadTacoFromHub; `onDownload` hears of each shard fetched, not
 * of cached ones). Loads them and applies the paper's selection: `codistill data taco` and the run's
 * data stage both select here, and `codistill contexts` reads the examples file they write.
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
    files.push(...(await downloadTacoFromHub({ split: hub[1] as 'train' | 'test', cacheDir: options.cacheDir, onFile: (f) => f.cached || options.onDownload?.(f.path) })));
  }
  const loaded = await loadTacoFiles(files);
  return { files, ...loaded, ...selectTaco(loaded.problems, options) };
}
