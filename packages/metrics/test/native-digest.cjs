// Parses every text `passes` times with the native parser; each pass folds every node record
// into one number. Run on the main thread by native.cases.ts and, the same file, as the worker
// threads it starts (workerData: addon and grammar paths, texts, passes).
const { isMainThread, parentPort, workerData } = require('node:worker_threads');

function digestPasses(addon, parser, texts, passes) {
  const out = new Int32Array(1 << 20);
  const digests = [];
  for (let pass = 0; pass < passes; pass++) {
    let digest = 0;
    for (const text of texts) {
      const values = addon.parse(parser, text, out) * addon.nodeFields;
      for (let i = 0; i < values; i++) digest = (Math.imul(digest, 31) + out[i]) | 0;
    }
    digests.push(digest);
  }
  return digests;
}

if (!isMainThread) {
  const addon = require(workerData.addon);
  const parser = addon.newParser(require(workerData.grammar).language);
  parentPort.postMessage(digestPasses(addon, parser, workerData.texts, workerData.passes));
}

module.exports = { digestPasses };
