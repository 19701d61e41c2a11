// Two variants of the Llama-3.1-8B-wide slice's LoRA step, A and B, compared where this kind of VM's
// speed swings by a third within minutes: both sessions in one process, steps alternated, and every
// matrix product timed by ONNX Runtime's profiler against the same step's MLP products ([T, hidden] x
// [hidden, intermediate], the unit), so a phase of the machine scales both sides alike.
// Env: A and B (each `chunk=<rows>,vocabBlocks=<n>`; default A `vocabBlocks=1`, B the defaults),
// LAYERS (1) POLICY (none) T (2048) ROUNDS (3) THREADS (2). Prints one JSON line per timed step and a
// summary: medians of kernel seconds, head products (the chunked cross-entropy's) and other products,
// in units, and B against A.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isMatrixProduct, profileRuns, type KernelEvent, type RecomputePolicy } from '@codistill/graph';
import { median } from '@codistill/util';
import { llama31Slice, writeRandomLlama } from '@codistill/models';
import { createLoraStep, SLICE_LORA, type LoraStep } from './lora-step.js';

const [LAYERS, T, ROUNDS, THREADS] = ['LAYERS:1', 'T:2048', 'ROUNDS:3', 'THREADS:2'].map((s) => Number(process.env[s.split(':')[0]] ?? s.split(':')[1]));
const POLICY = (process.env.POLICY ?? 'none') as RecomputePolicy;

/** `chunk=512,vocabBlocks=1` -> the step options it names. */
function parseVariant(name: string, spec: string): { chunkRows: number; vocabBlocks?: number } {
  const out: { chunkRows: number; vocabBlocks?: number } = { chunkRows: 256 };
  for (const part of spec.split(',').filter(Boolean)) {
    const [key, value] = part.split('=');
    if (!['chunk', 'vocabBlocks'].includes(key) || !Number.isInteger(Number(value))) throw new Error(`${name}: '${part}' is not chunk=<rows> or vocabBlocks=<n>`);
    if (key === 'chunk') out.chunkRows = Number(value);
    else out.vocabBlocks = Number(value);
  }
  return out;
}

const seconds = (events: KernelEvent[]) => events.reduce((a, e) => a + e.us, 0) / 1e6;

/** A run in units of its own MLP products. */
function measureRun(events: KernelEvent[], intermediate: number) {
  const inHead = (e: KernelEvent) => e.node.startsWith('chunk');
  const mlp = events.filter((e) => isMatrixProduct(e) && !inHead(e) && e.inputShapes.some((s) => s.includes(intermediate)));
  const unit = seconds(mlp) / mlp.length;
  return {
    kernel_s: +seconds(events).toFixed(2),
    unit_s: +unit.toFixed(3),
    head_products_units: +(seconds(events.filter((e) => isMatrixProduct(e) && inHead(e))) / unit).toFixed(2),
    other_products_units: +(seconds(events.filter((e) => isMatrixProduct(e) && !inHead(e))) / unit).toFixed(2),
    kernel_units: +(seconds(events) / unit).toFixed(2),
  };
}

const variants = { A: parseVariant('A', process.env.A ?? 'vocabBlocks=1'), B: parseVariant('B', process.env.B ?? '') };
const shape = llama31Slice(LAYERS);
const dir = writeRandomLlama(fs.mkdtempSync(path.join(os.tmpdir(), 'codistill-slice-ab-')), shape);
const profiles = fs.mkdtempSync(path.join(os.tmpdir(), 'codistill-slice-ab-profile-'));
try {
  const steps: Record<string, LoraStep> = {};
  for (const [name, v] of Object.entries(variants)) {
    steps[name] = await createLoraStep(dir, { lora: SLICE_LORA, B: 1, T, ...v, policy: POLICY, runner: { threads: THREADS, prepackWeights: false, profile: path.join(profiles, name) } });
    await steps[name].run(0); // warm-up: ONNX Runtime reads the weights during the first run
  }
  const wall: Record<string, number[]> = { A: [], B: [] };
  for (let round = 1; round <= ROUNDS; round++) {
    // A then B in odd rounds, B then A in even ones: with A always first, B's MLP products (the
    // unit) ran 1.2-1.3x slower in every round of the first runs; alternated, they did not.
    for (const name of round % 2 ? ['A', 'B'] : ['B', 'A']) {
      const start = performance.now();
      await steps[name].run(round);
      wall[name].push((performance.now() - start) / 1000);
    }
  }
  const summary: Record<string, Record<string, number>> = {};
  for (const name of ['A', 'B']) {
    const runs = profileRuns(steps[name].endProfiling(), 1).map((r) => measureRun(r, shape.intermediate_size));
    runs.forEach((r, i) => console.log(JSON.stringify({ variant: name, round: i + 1, step_s: +wall[name][i].toFixed(2), ...r })));
    summary[name] = Object.fromEntries(Object.keys(runs[0]).map((k) => [k, median(runs.map((r) => r[k as keyof typeof r]))]));
    await steps[name].release();
  }
  const ratio = (k: string) => +(summary.B[k] / summary.A[k]).toFixed(3);
  const machine = { cpu: os.cpus()[0]?.model ?? 'unknown', cores: os.cpus().length, load: +os.loadavg()[0].toFixed(2) };
  console.log(JSON.stringify({ bench: 'slice A/B, alternated steps, products in MLP-product units', variants, layers: LAYERS, policy: POLICY, T, rounds: ROUNDS, A: summary.A, B: summary.B, b_over_a: { kernel_s: ratio('kernel_s'), kernel_units: ratio('kernel_units'), head_products_units: ratio('head_products_units') }, ...machine }));
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
  fs.rmSync(profiles, { recursive: true, force: true });
}
