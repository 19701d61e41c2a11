import { profileRuns } from '@codistill/graph';
const runs = profileRuns(process.argv[2], 2);
const by = new Map<string, number>();
for (const run of runs) for (const e of run) {
  if (!e.node.includes(process.argv[3])) continue;
  const key = `${e.node.startsWith('grad/') ? 'bwd' : 'fwd'} ${e.op} ${JSON.stringify(e.inputShapes)}`;
  by.set(key, (by.get(key) ?? 0) + e.us / runs.length / 1000);
}
let tot = 0; for (const [k, v] of [...by].sort((a, b) => b[1] - a[1])) { tot += v; console.log(v.toFixed(2).padStart(7), k); }
console.log('total', tot.toFixed(1));
