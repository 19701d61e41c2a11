import type { ReportData } from './data.js';
import { escapeHtml as esc, histogram, linePlot } from './svg.js';

const BASE = '#888';
const TUNED = '#1f6feb';
const pct = (v: number) => v.toFixed(2);
/** A base-only comparison has no fine-tuned value (null); its cell says so instead of a number. */
const orNone = (v: number | null, format: (v: number) => string) => (v === null ? '-' : format(v));
const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN);

function table(head: string[], rows: string[][]): string {
  return `<table><thead><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows.map((r) => `<tr>${r.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`).join('')}</tbody></table>`;
}

const missing = (what: string) => `<p class="missing">No ${esc(what)} in this run.</p>`;

function trainingPlots(log: ReportData['trainLog']): string {
  if (!log.length) return missing('training log');
  const pts = (f: (r: ReportData['trainLog'][number]) => number | undefined): Array<[number, number]> =>
    log.flatMap((r) => (f(r) === undefined || !Number.isFinite(f(r)) ? [] : [[r.step, f(r)!] as [number, number]]));
  // The held-out token loss, comparable with the training one; eval_loss is it only without the
  // structural loss (with it, eval_loss is alpha-weighted and falls with alpha; older logs lack the part).
  const evalLoss = pts((r) => r.eval_token_loss ?? (r.struct_loss === undefined ? r.eval_loss : undefined));
  const loss = [{ name: 'token loss', points: pts((r) => r.token_loss), color: TUNED }, ...(evalLoss.length ? [{ name: 'validation token loss', points: evalLoss, color: BASE }] : [])];
  const struct = pts((r) => r.struct_loss);
  return [
    linePlot(evalLoss.length ? 'Token loss, training and validation' : 'Token loss', 'step', loss),
    struct.length ? linePlot('Structural loss (1 - cos)', 'step', [{ name: 'structural loss', points: struct, color: '#d2691e' }]) : missing('structural loss'),
    linePlot('Loss weights', 'step', [
      { name: 'alpha (token)', points: pts((r) => r.alpha), color: TUNED },
      { name: 'beta (structure)', points: pts((r) => r.beta), color: '#d2691e' },
    ]),
    linePlot('Learning rate', 'step', [{ name: 'learning_rate', points: pts((r) => r.learning_rate), color: '#2da44e' }]),
  ].join('');
}

function codebleuRows(cb: NonNullable<ReportData['codebleu']>): string[][] {
  const row = (model: string, m: { syntax: number; dataflow: number }) => [model, m.syntax.toFixed(4), m.dataflow.toFixed(4)];
  return [row('base', cb.base), ...(cb.tuned ? [row('fine-tuned', cb.tuned)] : [])];
}

/** The whole report as one HTML page: inline CSS and SVG, no script, no external asset. */
export function renderReport(data: ReportData): string {
  const m = data.meta;
  const passRows = data.passAt1.map((r) => [r.benchmark, String(r.tasks), pct(r.base), orNone(r.tuned, pct), orNone(r.tuned, (t) => (t - r.base >= 0 ? '+' : '') + pct(t - r.base))]);
  const cb = data.codebleu;
  const qp = data.questionPerplexity;
  const tp = data.tokenPerplexity;
  const metaRows: string[][] = [
    ['student', m.student],
    ...(m.teacher ? [['teacher', m.teacher]] : []),
    ...(m.codebert ? [['CodeBERT', m.codebert]] : []),
    ...(m.contexts ? [['contexts', m.contexts]] : []),
    ...Object.entries(m.dataSizes).map(([k, v]) => [`data: ${k}`, String(v)]),
    ...Object.entries(m.seeds).map(([k, v]) => [`seed: ${k}`, String(v)]),
    ...(m.compute ? [['compute', m.compute]] : []),
    ...Object.entries(m.versions).map(([k, v]) => [`version: ${k}`, v]),
    ['started', m.startedAt],
    ...(m.finishedAt ? [['finished', m.finishedAt]] : []),
  ];
  const sections = [
    ...(data.unfinished ? [`<p class="note">This run has not finished: ${esc(data.unfinished)}. Rerun <code>codistill run</code> with its config to finish it; below is what it has so far.</p>`] : []),
    `<h2>pass@1 (%), base vs fine-tuned</h2>${data.passAt1.length ? table(['benchmark', 'tasks', 'base', 'fine-tuned', 'change'], passRows) : missing('pass@1 results')}`,
    `<h2>CodeBLEU components (average)</h2>${
      cb ? table(['model', 'syntax match', 'dataflow match'], codebleuRows(cb)) + `<p>${cb.pairs} generated solutions vs references.</p>` : missing('CodeBLEU results')
    }`,
    `<h2>Training</h2><div class="plots">${trainingPlots(data.trainLog)}</div>`,
    `<h2>Question perplexity</h2>${
      qp
        ? `<p>Mean: base ${mean(qp.base).toFixed(2)}, fine-tuned ${orNone(qp.tuned && mean(qp.tuned), (v) => v.toFixed(2))} (${qp.base.length} questions).</p>` +
          histogram('Question perplexity, base vs fine-tuned', 'perplexity', [{ name: 'base', values: qp.base, color: BASE }, ...(qp.tuned ? [{ name: 'fine-tuned', values: qp.tuned, color: TUNED }] : [])])
        : missing('question perplexities')
    }`,
    `<h2>Per-token perplexity along a generated solution</h2>${
      tp
        ? `<p>Task ${esc(tp.task)}.</p>` +
          linePlot(
            'Per-token perplexity (log scale)',
            'generated token',
            [
              { name: 'base', points: tp.base.map((v, i) => [i, v]), color: BASE },
              ...(tp.tuned ? [{ name: 'fine-tuned', points: tp.tuned.map((v, i): [number, number] => [i, v]), color: TUNED }] : []),
            ],
            { logY: true },
          )
        : missing('per-token perplexities')
    }`,
    `<h2>Run</h2>${table(['', ''], metaRows)}${(m.notes ?? []).map((n) => `<p class="note">${esc(n)}</p>`).join('')}`,
  ];
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>codistill report: ${esc(m.student)}</title>
<style>body{font:14px/1.4 sans-serif;max-width:1200px;margin:2em auto;padding:0 1em;color:#222}table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:.25em .6em;text-align:right}td:first-child,th:first-child{text-align:left}.plots{display:flex;flex-wrap:wrap;gap:1em}.missing{color:#999}.note{background:#fff8c5;padding:.4em}</style>
</head><body><h1>codistill report</h1>
${sections.join('\n')}
</body></html>
`;
}
