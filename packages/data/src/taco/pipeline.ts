import { downloadTacoFromHub } from './hub.js';
import { loadTacoFiles, type LoadedTaco } from './load.js';
import { TacoNoExamplesError, tacoRejections, tacoYieldWarning, type TacoRejection } from './rejections.js';
import { selectTaco, type SelectedPair, type SelectionOptions, type SelectionReport } from './select.js';

export interface PreparedTaco extends LoadedTaco {
  files: string[];
  pairs: SelectedPair[];
  report: SelectionReport;
  /** Why rows gave no example, commonest first (decode failures and selection skips). */
  rejections: TacoRejection[];
  /** Set when most rows were unusable though some were kept; callers show it (the CLI on stderr). */
  warning?: string;
}

/**
 * Inputs are local files, or `hub:train` / `hub:test` for BAAI/TACO's parquet shards (downloaded
 * once into the Hugging Face cache: `cacheDir`, default HF_HUB_CACHE, else $HF_HOME/hub, else
 * ~/.cache/huggingface/hub; see downloadTacoFromHub; `onDownload` hears of each shard fetched, not
 * of cached ones). Loads them and applies the paper's selection: `codistill data taco` and the run's
 * data stage both select here, and `codistill contexts` reads the examples file they write.
 * No example at all is a TacoNoExamplesError naming the files and the commonest reasons, thrown
 * before anything is written: a wrong input must not replace a finished examples file with nothing.
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
  const { pairs, report } = selectTaco(loaded.problems, options);
  const rejections = tacoRejections(loaded.malformed, report);
  const yielded = { files, rows: report.problems + loaded.malformed.length, kept: report.kept, rejections };
  if (pairs.length === 0) throw new TacoNoExamplesError(yielded);
  return { files, ...loaded, pairs, report, rejections, warning: tacoYieldWarning(yielded) };
}
