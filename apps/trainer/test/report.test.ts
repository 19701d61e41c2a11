import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { register } from '../src/commands/report.js';
import { runCommand } from './run-command.js';
import { RUN_FILES, renderReport, type ReportData } from '../src/report/index.js';

const CHROMIUM = '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

const steps = Array.from({ length: 12 }, (_, i) => i + 1);
const data: ReportData = {
  meta: { student: 'tiny-llama', teacher: 'teacher <x>', codebert: 'tiny-roberta', contexts: 'shipped sample', dataSizes: { examples: 30 }, seeds: { data: 0, train: 1 }, compute: 'webgpu, base model in float16', versions: { codistill: '0.1.0', node: process.version }, startedAt: '2025-01-01T00:00:00Z', finishedAt: '2025-01-01T01:00:00Z' },
  passAt1: [
    { benchmark: 'HumanEval', tasks: 4, base: 0, tuned: 25 },
    { benchmark: 'MBPP', tasks: 4, base: 25, tuned: 25 },
    { benchmark: 'MBPP+', tasks: 4, base: 50, tuned: 75 },
  ],
  codebleu: { pairs: 12, base: { syntax: 0.21, dataflow: 0.3 }, tuned: { syntax: 0.25, dataflow: 0.33 } },
  trainLog: steps.map((step) => ({ step, token_loss: 6 - step * 0.1, struct_loss: 0.5 - step * 0.01, alpha: 1 - step * 0.01, beta: step * 0.01, learning_rate: 5e-5 * Math.min(1, step / 4) })),
  questionPerplexity: { base: [21, 25, 30, 19, 40], tuned: [18, 22, 27, 17, 35] },
  tokenPerplexity: { task: 'HumanEval/0', base: [3, 9, 2, 5], tuned: [2, 5, 2, 3] },
};

test('renderReport is one self-contained page: pass@1 table, CodeBLEU table, six plots', () => {
  const html = renderReport(data);
  expect(html).not.toMatch(/<script|<link|src="http|href="http/);
  expect(html.match(/<svg /g)).toHaveLength(6);
  for (const text of ['HumanEval', 'MBPP+', 'syntax match', 'dataflow match', 'teacher &#60;x&#62;', '<td>compute</td><td>webgpu, base model in float16</td>']) expect(html).toContain(text);
});

test('a base-only comparison (tuned null) renders its base values with "-" for the fine-tuned ones', () => {
  const baseOnly: ReportData = {
    ...data,
    passAt1: data.passAt1.map((r) => ({ ...r, tuned: null })),
    codebleu: { ...data.codebleu!, tuned: null },
    questionPerplexity: { base: data.questionPerplexity!.base, tuned: null },
    tokenPerplexity: { ...data.tokenPerplexity!, tuned: null },
  };
  const html = renderReport(baseOnly);
  expect(html).toContain('<tr><td>MBPP+</td><td>4</td><td>50.00</td><td>-</td><td>-</td></tr>');
  expect(html).toContain('fine-tuned -');
  expect(html).not.toMatch(/data-name="fine-tuned"/);
  expect(html.match(/<svg /g)).toHaveLength(6);
});

test('report --run builds report.json and report.html from a run folder; a missing run.json is named', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'report-'));
  await mkdir(path.join(dir, 'train'));
  await mkdir(path.join(dir, 'eval'));
  await writeFile(path.join(dir, RUN_FILES.meta), JSON.stringify(data.meta));
  await writeFile(path.join(dir, RUN_FILES.trainLog), data.trainLog.map((r) => JSON.stringify(r)).join('\n') + '\n');
  await writeFile(path.join(dir, RUN_FILES.evalSummary), JSON.stringify({ passAt1: data.passAt1, codebleu: data.codebleu }));
  await writeFile(path.join(dir, RUN_FILES.perplexity), JSON.stringify({ questionPerplexity: data.questionPerplexity, tokenPerplexity: data.tokenPerplexity }));
  await runCommand(register, ['report', '--run', dir]);
  expect(JSON.parse(await readFile(path.join(dir, 'report/report.json'), 'utf8'))).toEqual(data);
  expect(await readFile(path.join(dir, 'report/report.html'), 'utf8')).toBe(renderReport(data));
  await expect(runCommand(register, ['report', '--run', tmpdir() + '/no-such-run'])).rejects.toThrow(/run\.json: missing/);
});

test("report --run on a run that has not finished says which stages have not, on the page and on stderr", async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'report-'));
  const { finishedAt: _finished, ...started } = data.meta;
  await writeFile(path.join(dir, RUN_FILES.meta), JSON.stringify(started));
  for (const [stage, status] of [['data', 'done'], ['contexts', 'done'], ['train', 'running']]) {
    await mkdir(path.join(dir, stage));
    await writeFile(path.join(dir, stage, 'stage.json'), JSON.stringify({ stage, status, fingerprint: 'f', inputs: {}, startedAt: started.startedAt }));
  }
  const warnings: string[] = [];
  const error = console.error;
  console.error = (line: string) => void warnings.push(line);
  try {
    await runCommand(register, ['report', '--run', dir]);
    const unfinished = 'train unfinished (interrupted, or running now); eval, report not started';
    expect(warnings).toEqual([`codistill: warning: ${dir} has not finished (${unfinished}); the report shows what it has so far`]);
    expect(JSON.parse(await readFile(path.join(dir, 'report/report.json'), 'utf8'))).toMatchObject({ unfinished, passAt1: [] });
    expect(await readFile(path.join(dir, 'report/report.html'), 'utf8')).toContain(`This run has not finished: ${unfinished}.`);
  } finally {
    console.error = error;
  }
});

const browserTest = existsSync(CHROMIUM) ? test : test.skip;
if (!existsSync(CHROMIUM)) console.warn(`report browser test skipped: ${CHROMIUM} is absent (apt-get install -y chromium)`);

browserTest('the page renders in headless Chromium: every plot has data, no console errors', async () => {
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
  try {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('console', (m) => void (m.type() === 'error' && errors.push(m.text())));
    page.on('pageerror', (e) => void errors.push(e.message));
    await page.setContent(renderReport(data), { waitUntil: 'load' });
    const plots = await page.$$eval('svg', (svgs) =>
      svgs.map((svg) => {
        const box = svg.getBoundingClientRect();
        const lines = [...svg.querySelectorAll('polyline.series')].filter((p) => (p.getAttribute('points') ?? '').trim().split(' ').length > 1).length;
        const bars = [...svg.querySelectorAll('rect.bar')].filter((r) => Number(r.getAttribute('height')) > 0).length;
        return { title: svg.querySelector('title')?.textContent, visible: box.width > 0 && box.height > 0, marks: lines + bars };
      }),
    );
    expect(plots).toHaveLength(6);
    for (const p of plots) expect(p).toMatchObject({ visible: true, marks: expect.any(Number) });
    expect(plots.every((p) => p.marks > 0)).toBe(true);
    expect(await page.locator('table').first().innerText()).toMatch(/MBPP\+/);
    expect(errors).toEqual([]);
  } finally {
    await browser.close();
  }
}, 60_000);
