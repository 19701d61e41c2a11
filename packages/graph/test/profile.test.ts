import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { GraphBuilder, hostTensor, ops, profileRuns, Runner, summariseProfile } from '../src/index.js';

test("a profiled runner's kernel calls per run and time by op type, warm-up runs left out", async () => {
  const g = new GraphBuilder('profiled');
  g.output(ops.relu(ops.matmul(g.input('a', 'float32', [64, 16]), g.input('b', 'float32', [16, 32]))), 'y');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'codistill-profile-'));
  const runner = await Runner.create(g.toModel(), { threads: 1, profile: path.join(dir, 'step') });
  const feeds = { a: hostTensor('float32', [64, 16]), b: hostTensor('float32', [16, 32]) };
  for (let i = 0; i < 3; i++) await runner.run(feeds);
  const file = runner.endProfiling();
  await runner.release();
  expect(path.dirname(file)).toBe(dir);
  const all = summariseProfile(file);
  expect(all.map((t) => t.op).sort()).toEqual(['MatMul', 'Relu']);
  expect(all.every((t) => t.calls === 3 && t.ms > 0)).toBe(true);
  expect(all.reduce((a, t) => a + t.share, 0)).toBeCloseTo(1, 6);
  expect(summariseProfile(file, 2).map((t) => t.calls)).toEqual([1, 1]);
  const runs = profileRuns(file, 1);
  expect(runs).toHaveLength(2);
  for (const run of runs) {
    expect(run.map((e) => e.op).sort()).toEqual(['MatMul', 'Relu']);
    const product = run.find((e) => e.op === 'MatMul')!;
    expect(product.inputShapes).toEqual([[64, 16], [16, 32]]);
    expect(product.node).not.toMatch(/_kernel_time$/);
    expect(product.us).toBeGreaterThan(0);
  }
  fs.rmSync(dir, { recursive: true });
});

test('endProfiling without the profile option says so', async () => {
  const g = new GraphBuilder('plain');
  g.output(ops.relu(g.input('a', 'float32', [2])), 'y');
  const runner = await Runner.create(g.toModel());
  expect(() => runner.endProfiling()).toThrow('without the profile option');
  await runner.release();
});
