// Jest runs each test file in its own VM context, so typed arrays made in a test are not
// `instanceof` the constructors native addons (onnxruntime-node) check against. Sharing the host
// realm's typed-array constructors makes tensors cross that boundary.
//
// Each test file also gets its own temporary directory as TMPDIR (os.tmpdir() and the CLIs the
// tests spawn read it), removed when the file ends, so the suite leaves nothing behind there.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { env } = require('node:process');
const { TestEnvironment } = require('jest-environment-node');

const SHARED = [
  'ArrayBuffer', 'SharedArrayBuffer', 'DataView', 'Uint8Array', 'Uint8ClampedArray', 'Int8Array', 'Uint16Array',
  'Int16Array', 'Uint32Array', 'Int32Array', 'Float32Array', 'Float64Array', 'BigInt64Array', 'BigUint64Array',
];

class SharedTypedArraysEnvironment extends TestEnvironment {
  constructor(config, context) {
    super(config, context);
    for (const name of SHARED) this.global[name] = globalThis[name];
  }

  async setup() {
    await super.setup();
    this.outerTmpdir = env.TMPDIR;
    this.tmpdir = fs.mkdtempSync(path.join(os.tmpdir(), 'codistill-test-'));
    // The permissions of the directory it stands in for: the harness's process sandbox drops to
    // another uid, which must still reach its work dir inside.
    fs.chmodSync(this.tmpdir, fs.statSync(os.tmpdir()).mode & 0o7777);
    env.TMPDIR = this.tmpdir;
  }

  async teardown() {
    if (this.outerTmpdir === undefined) delete env.TMPDIR;
    else env.TMPDIR = this.outerTmpdir;
    fs.rmSync(this.tmpdir, { recursive: true, force: true });
    await super.teardown();
  }
}

module.exports = SharedTypedArraysEnvironment;
