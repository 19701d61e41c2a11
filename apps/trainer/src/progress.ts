import { Presets, SingleBar } from 'cli-progress';

/** What a long stage reports: done of total, plus named values shown after the bar. */
export interface Progress {
  update(done: number, total: number, values?: Record<string, string | number>): void;
  stop(): void;
}

/**
 * A progress bar with ETA on stderr, or nothing when disabled (`--no-progress`, tests, logs).
 * `fields` are the value names shown after the bar, e.g. ['loss', 'tok/s'].
 */
export function progressBar(label: string, enabled: boolean, fields: string[] = [], stream: NodeJS.WritableStream = process.stderr): Progress {
  if (!enabled) return { update: () => {}, stop: () => {} };
  // cli-progress fills only {word} tokens: a field named 'tok/s' travels under the key tok_s.
  const key = (field: string) => field.replace(/\W/g, '_');
  const payload = (values: Record<string, string | number>) => Object.fromEntries(Object.entries(values).map(([f, v]) => [key(f), v]));
  const tail = fields.map((f) => ` | ${f} {${key(f)}}`).join('');
  const bar = new SingleBar({ format: `${label} [{bar}] {value}/{total} | ETA {eta_formatted}${tail}`, etaBuffer: 20, hideCursor: true, stream }, Presets.shades_classic);
  let started = false;
  return {
    update(done, total, values = {}) {
      if (!started) {
        bar.start(total, done, payload(values));
        started = true;
      } else {
        bar.setTotal(total);
        bar.update(done, payload(values));
      }
    },
    stop: () => started && bar.stop(),
  };
}
