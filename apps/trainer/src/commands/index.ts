import type { Command } from 'commander';
import * as contexts from './contexts.js';
import * as data from './data.js';
import * as demo from './demo.js';
import * as doctor from './doctor.js';
import * as evaluate from './eval.js';
import * as generate from './generate.js';
import * as init from './init.js';
import * as merge from './merge.js';
import * as metrics from './metrics.js';
import * as report from './report.js';
import * as run from './run.js';
import * as serve from './serve.js';
import * as train from './train.js';

// Each command lives in its own module exporting `register(program)`; this list wires them.
const modules: Array<{ register(program: Command): void }> = [demo, data, contexts, train, merge, generate, evaluate, metrics, serve, report, init, run, doctor];

export function registerCommands(program: Command): void {
  for (const m of modules) m.register(program);
}
