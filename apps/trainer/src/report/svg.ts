/** Minimal inline-SVG charts, so the report is one self-contained file with no script or asset. */

export interface Series {
  name: string;
  points: Array<[number, number]>;
  color: string;
}

const W = 560;
const H = 260;
const M = { left: 56, right: 16, top: 16, bottom: 40 };

export const escapeHtml = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function fmt(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  return a >= 1e4 || a < 1e-3 ? v.toExponential(1) : Number(v.toPrecision(3)).toString();
}

function extent(values: number[]): [number, number] {
  let lo = Math.min(...values);
  let hi = Math.max(...values);
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) return [0, 1];
  if (lo === hi) [lo, hi] = [lo - (Math.abs(lo) || 1) * 0.5, hi + (Math.abs(hi) || 1) * 0.5];
  return [lo, hi];
}

function frame(title: string, xLabel: string, x: [number, number], y: [number, number], body: string, legend: Array<{ name: string; color: string }>, logY = false): string {
  const ticks = [0, 0.25, 0.5, 0.75, 1];
  const px = (t: number) => M.left + t * (W - M.left - M.right);
  const py = (t: number) => H - M.bottom - t * (H - M.top - M.bottom);
  const axes = ticks
    .map(
      (t) =>
        `<line x1="${px(0)}" x2="${px(1)}" y1="${py(t)}" y2="${py(t)}" stroke="#eee"/>` +
        `<text x="${px(0) - 4}" y="${py(t) + 4}" text-anchor="end">${fmt(logY ? 10 ** (y[0] + t * (y[1] - y[0])) : y[0] + t * (y[1] - y[0]))}</text>` +
        `<text x="${px(t)}" y="${H - M.bottom + 14}" text-anchor="middle">${fmt(x[0] + t * (x[1] - x[0]))}</text>`,
    )
    .join('');
  const keys = legend.map((l, i) => `<rect x="${px(1) - 120}" y="${M.top + i * 14}" width="10" height="10" fill="${l.color}"/><text x="${px(1) - 106}" y="${M.top + 9 + i * 14}">${escapeHtml(l.name)}</text>`).join('');
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${escapeHtml(title)}" font-size="10" font-family="sans-serif">` +
    `<title>${escapeHtml(title)}</title>${axes}` +
    `<line x1="${px(0)}" x2="${px(0)}" y1="${py(0)}" y2="${py(1)}" stroke="#999"/><line x1="${px(0)}" x2="${px(1)}" y1="${py(0)}" y2="${py(0)}" stroke="#999"/>` +
    `${body}${keys}<text x="${px(0.5)}" y="${H - 6}" text-anchor="middle">${escapeHtml(xLabel)}</text></svg>`
  );
}

/**
 * Line plot of several series on shared axes; each series is a <polyline> with its points. With
 * `logY` the y axis is logarithmic (values spanning orders of magnitude, such as a random model's
 * perplexities); points keep their values in data-points' order.
 */
export function linePlot(title: string, xLabel: string, series: Series[], opts: { logY?: boolean } = {}): string {
  const all = series.flatMap((s) => s.points);
  const ty = (v: number) => (opts.logY ? Math.log10(Math.max(v, Number.MIN_VALUE)) : v);
  const x = extent(all.map((p) => p[0]));
  const y = extent(all.map((p) => ty(p[1])));
  const sx = (v: number) => M.left + ((v - x[0]) / (x[1] - x[0])) * (W - M.left - M.right);
  const sy = (v: number) => H - M.bottom - ((v - y[0]) / (y[1] - y[0])) * (H - M.top - M.bottom);
  const body = series
    .map((s) => {
      const pts = s.points.map(([a, b]) => `${sx(a).toFixed(1)},${sy(ty(b)).toFixed(1)}`).join(' ');
      const dots = s.points.length === 1 ? `<circle cx="${sx(s.points[0][0])}" cy="${sy(ty(s.points[0][1]))}" r="3" fill="${s.color}"/>` : '';
      return `<polyline class="series" data-name="${escapeHtml(s.name)}" data-points="${s.points.length}" fill="none" stroke="${s.color}" stroke-width="1.5" points="${pts}"/>${dots}`;
    })
    .join('');
  return frame(title, xLabel, x, y, body, series, opts.logY);
}

/** Overlaid histograms on shared bins (semi-transparent bars), e.g. base vs fine-tuned perplexity. */
export function histogram(title: string, xLabel: string, groups: Array<{ name: string; values: number[]; color: string }>, bins = 20): string {
  const x = extent(groups.flatMap((g) => g.values));
  const width = (x[1] - x[0]) / bins;
  const counts = groups.map((g) => {
    const c = new Array<number>(bins).fill(0);
    for (const v of g.values) c[Math.min(bins - 1, Math.floor((v - x[0]) / width))]++;
    return c;
  });
  const y: [number, number] = [0, Math.max(1, ...counts.flat())];
  const plotW = W - M.left - M.right;
  const plotH = H - M.top - M.bottom;
  const body = counts
    .map((c, g) =>
      c
        .map((n, i) => {
          const h = (n / y[1]) * plotH;
          return `<rect class="bar" data-name="${escapeHtml(groups[g].name)}" x="${(M.left + (i / bins) * plotW).toFixed(1)}" y="${(H - M.bottom - h).toFixed(1)}" width="${(plotW / bins - 1).toFixed(1)}" height="${h.toFixed(1)}" fill="${groups[g].color}" fill-opacity="0.5"/>`;
        })
        .join(''),
    )
    .join('');
  return frame(title, xLabel, x, y, body, groups);
}
