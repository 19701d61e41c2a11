import type { HostTensor, Params, RunReport, StepResult } from '@codistill/graph';
import type { Collated } from './collate.js';

/** Runs the training step on a micro-batch: its feeds, the loss weights, and the forward pass's index (dropout masks). */
export type RunStep = (feeds: Record<string, HostTensor>, alpha: number, beta: number, pass: number) => Promise<StepResult>;

export interface Accumulated {
  grads: Params;
  loss: number;
  tokenLoss: number;
  /** Over the rows that kept code; undefined when none did. */
  structLoss?: number;
  tokens: number;
  report: RunReport;
}

/**
 * One optimizer step over its micro-batches, with transformers' (>= 4.46) normalisation under
 * gradient accumulation: the token loss is the sum of every weighted position's NLL over all the
 * micro-batches divided by their total weight (not the mean of per-micro-batch means, which
 * over-weights short batches), and the structural loss the mean over all rows that kept code.
 * Each micro-batch's share enters through the alpha/beta feeds (or scales its gradient when the
 * token loss is the whole loss), so the summed gradients are those of the step's loss.
 */
export async function accumulate(micro: Collated[], run: RunStep, w: { alpha: number; beta: number; structural: boolean }, firstPass: number): Promise<Accumulated> {
  const weights = micro.map((c) => (c.feeds.loss_weights.data as Float32Array).reduce((a, b) => a + b, 0));
  const total = weights.reduce((a, b) => a + b, 0);
  const rows = w.structural ? micro.reduce((a, c) => a + c.codeRows, 0) : 0;
  const out: Accumulated = { grads: {}, loss: 0, tokenLoss: 0, tokens: 0, report: { ms: 0, rssMiB: 0, peakRssMiB: 0 } };
  let structLoss = 0;
  for (const [k, c] of micro.entries()) {
    const tokenShare = total > 0 ? weights[k] / total : 1 / micro.length;
    const structShare = rows > 0 ? c.codeRows / rows : 0;
    const r = await run(c.feeds, w.alpha * tokenShare, w.beta * structShare, firstPass + k);
    const scale = w.structural ? 1 : tokenShare;
    for (const [n, g] of Object.entries(r.grads)) {
      const sum = (out.grads[n] ??= new Float32Array(g.length));
      for (let i = 0; i < g.length; i++) sum[i] += g[i] * scale;
    }
    out.tokenLoss += Number(r.outputs.token_loss.data[0]) * tokenShare;
    if (r.outputs.struct_loss) structLoss += Number(r.outputs.struct_loss.data[0]) * structShare;
    out.tokens += c.tokens;
    out.report = r.report;
  }
  if (rows > 0) out.structLoss = structLoss;
  out.loss = w.structural ? w.alpha * out.tokenLoss + w.beta * (out.structLoss ?? 0) : out.tokenLoss;
  return out;
}
