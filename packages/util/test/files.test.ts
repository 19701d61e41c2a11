import { spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync, chmodSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureDir, JsonlAppender, lockFile, readJsonFile, readJsonIfPresent, readJsonl, syncDir, writeDirDurable, writeFileDurable } from '../src/index.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const tmp = () => mkdtempSync(path.join(os.tmpdir(), 'codistill-files-'));
const values = (file: string, maxLineBytes?: number) => [...readJsonl(file, { maxLineBytes })].map((r) => r.value);

/**
 * Runs `body` (with util's exports in scope) in a process whose files may grow to `kib` KiB at most:
 * RLIMIT_FSIZE stands in for a full disk, the kernel refusing the rest of a write. Prints what it printed.
 */
function underFileSizeLimit(dir: string, kib: number, body: string): string {
  const script = `process.on('SIGXFSZ', () => {});
    const util = await import(${JSON.stringify(path.join(here, '../src/index.ts'))});
    try { ${body} } catch (e) { console.log('refused: ' + e.message); }`;
  const tsx = path.join(here, '../../../node_modules/.bin/tsx');
  writeFileSync(path.join(dir, 'write.mts'), script);
  return spawnSync('bash', ['-c', `ulimit -f ${kib}; exec ${tsx} ${path.join(dir, 'write.mts')}`], { encoding: 'utf8' }).stdout;
}

describe('readJsonl', () => {
  test('streams records across chunk boundaries, skips blank lines, numbers lines', () => {
    const file = path.join(tmp(), 'a.jsonl');
    const big = 'x'.repeat(3 * 2 ** 20); // spans several read chunks
    writeFileSync(file, `\uFEFF{"a":1}\n\n{"b":"${big}"}\r\n{"c":"é"}\n`);
    const records = [...readJsonl<Record<string, unknown>>(file)];
    expect(records.map((r) => r.line)).toEqual([1, 3, 4]);
    expect((records[1].value.b as string).length).toBe(big.length);
    expect(records[2].value).toEqual({ c: 'é' });
  });

  test('a torn last line is skipped, a bad middle line names file and line', () => {
    const dir = tmp();
    writeFileSync(path.join(dir, 'torn.jsonl'), '{"a":1}\n{"b":');
    expect(values(path.join(dir, 'torn.jsonl'))).toEqual([{ a: 1 }]);
    writeFileSync(path.join(dir, 'bad.jsonl'), '{"a":1}\nnot json\n{"b":2}\n');
    expect(() => values(path.join(dir, 'bad.jsonl'))).toThrow(/bad\.jsonl:2: invalid JSON/);
  });

  test('a line over the limit is an error naming file and line, with or without newline', () => {
    const file = path.join(tmp(), 'long.jsonl');
    writeFileSync(file, `{"a":1}\n"${'y'.repeat(100)}"\n`);
    expect(() => values(file, 50)).toThrow(/long\.jsonl:2: line longer than 50 bytes/);
    writeFileSync(file, `"${'y'.repeat(2 ** 21)}`);
    expect(() => values(file, 2 ** 20)).toThrow(/long\.jsonl:1: line longer/);
  });

  test('a folder or a missing file is named', () => {
    const dir = tmp();
    expect(() => values(dir)).toThrow(`cannot read ${dir}: EISDIR`);
    expect(() => values(path.join(dir, 'none.jsonl'))).toThrow(/none\.jsonl: ENOENT/);
  });

  test('onInvalid gets every bad line, the torn last one too, and reading goes on', () => {
    const file = path.join(tmp(), 'rows.jsonl');
    writeFileSync(file, '{"a":1}\nnot json\n{"b":2}\n{"c":');
    const bad: string[] = [];
    const rows = [...readJsonl(file, { onInvalid: (line, reason) => bad.push(`${line}: ${reason}`) })];
    expect(rows.map((r) => r.line)).toEqual([1, 3]);
    expect(bad).toEqual([expect.stringMatching(/^2: \S/), expect.stringMatching(/^4: \S/)]);
  });
});

describe('readJsonFile', () => {
  test('parses a file; a torn or missing one is an error naming it', () => {
    const dir = tmp();
    const file = path.join(dir, 'state.json');
    writeFileSync(file, '\uFEFF{"step": 4}\n');
    expect(readJsonFile(file)).toEqual({ step: 4 });
    writeFileSync(file, '{"step": ');
    expect(() => readJsonFile(file)).toThrow(`${file}: invalid JSON`);
    expect(() => readJsonFile(path.join(dir, 'none.json'))).toThrow(/cannot read .*none\.json: ENOENT/);
  });

  test('readJsonIfPresent: undefined for a missing file, the error for a torn one', async () => {
    const dir = tmp();
    const file = path.join(dir, 'state.json');
    expect(await readJsonIfPresent(file)).toBeUndefined();
    writeFileSync(file, '{"step": ');
    await expect(readJsonIfPresent(file)).rejects.toThrow(`${file}: invalid JSON`);
    writeFileSync(file, '{"step": 4}');
    expect(await readJsonIfPresent(file)).toEqual({ step: 4 });
  });
});

describe('JsonlAppender', () => {
  test('a torn last line is cut before the next record; a complete one without newline is kept', () => {
    const dir = tmp();
    const torn = path.join(dir, 'torn.jsonl');
    writeFileSync(torn, '{"a":1}\n{"b":');
    new JsonlAppender(torn).append({ c: 3 });
    expect(readFileSync(torn, 'utf8')).toBe('{"a":1}\n{"c":3}\n');
    const whole = path.join(dir, 'whole.jsonl');
    writeFileSync(whole, '{"a":1}');
    new JsonlAppender(whole, { sync: true }).append({ c: 3 });
    expect(values(whole)).toEqual([{ a: 1 }, { c: 3 }]);
  });

  test('a write the disk refuses names the file', () => {
    const dir = tmp();
    const file = path.join(dir, 'results.jsonl');
    expect(underFileSizeLimit(dir, 0, `new util.JsonlAppender(${JSON.stringify(file)}).append({ a: 1 });`)).toMatch(/refused: cannot write .*results\.jsonl: EFBIG/);
  });

  test('creates the folder', () => {
    const file = path.join(tmp(), 'x', 'y', 'z.jsonl');
    new JsonlAppender(file).append(1);
    appendFileSync(file, '2\n');
    expect(values(file)).toEqual([1, 2]);
  });
});

describe('writeFileDurable', () => {
  test('replaces the file whole and leaves no temp file', () => {
    const dir = tmp();
    const file = path.join(dir, 'f.bin');
    writeFileSync(file, 'old');
    writeFileDurable(file, ['new ', Buffer.from('content')]);
    expect(readFileSync(file, 'utf8')).toBe('new content');
    expect(readdirSync(dir)).toEqual(['f.bin']);
  });

  test('takes chunks from a generator, so a large file need not be held whole', () => {
    const file = path.join(tmp(), 'lines.jsonl');
    function* lines() {
      for (let i = 0; i < 3; i++) yield `${i}\n`;
    }
    writeFileDurable(file, lines());
    expect(readFileSync(file, 'utf8')).toBe('0\n1\n2\n');
    const failing = function* () {
      yield 'partial';
      throw new Error('source failed');
    };
    expect(() => writeFileDurable(file, failing())).toThrow('source failed');
    expect(readFileSync(file, 'utf8')).toBe('0\n1\n2\n');
    expect(readdirSync(path.dirname(file))).toEqual(['lines.jsonl']);
  });

  test('a failed verification keeps the old file', () => {
    const dir = tmp();
    const file = path.join(dir, 'f.bin');
    writeFileSync(file, 'old');
    expect(() => writeFileDurable(file, 'bad', { verify: () => { throw new Error('header disagrees with size'); } })).toThrow('header disagrees');
    expect(readFileSync(file, 'utf8')).toBe('old');
    expect(readdirSync(dir)).toEqual(['f.bin']);
  });

  test('a write the disk refuses (file size limit) fails loudly and keeps the old file', () => {
    const dir = tmp();
    const file = path.join(dir, 'f.bin');
    writeFileSync(file, 'old');
    const out = underFileSizeLimit(dir, 64, `util.writeFileDurable(${JSON.stringify(file)}, Buffer.alloc(1 << 20)); console.log('wrote');`);
    expect(out).toMatch(/refused: cannot write .*f\.bin: EFBIG/);
    expect(readFileSync(file, 'utf8')).toBe('old');
    expect(readdirSync(dir).sort()).toEqual(['f.bin', 'write.mts']);
  });

  test("a process's first write into a folder removes the temp files killed writers left there, of any file; a live writer's stay", () => {
    const dir = tmp();
    const dead = spawnSync('true').pid!; // exited: its pid is free
    const live = [`.adapter.bin.${process.pid}.a1b2.tmp`, '.notes.txt.tmp', 'adapter.bin.7.k3.tmp'];
    for (const t of [`.adapter.bin.${dead}.k3j2.tmp`, `.adapter.bin.5.${dead}.zz.tmp`, ...live]) writeFileSync(path.join(dir, t), 'partial');
    writeFileDurable(path.join(dir, 'state.json'), '{}');
    expect(readdirSync(dir).sort()).toEqual(['state.json', ...live].sort());
  });
});

describe('writeDirDurable', () => {
  test('the folder appears whole, in a new or an empty folder, and no temp folder is left', () => {
    const root = tmp();
    const out = path.join(root, 'out');
    writeDirDurable(out, (temp) => {
      expect(existsSync(out)).toBe(false); // nothing at the destination until it is whole
      writeFileDurable(path.join(temp, 'a.json'), '{}');
    });
    expect(readdirSync(out)).toEqual(['a.json']);
    const empty = path.join(root, 'empty');
    mkdirSync(empty);
    writeDirDurable(empty, (temp) => writeFileDurable(path.join(temp, 'b.json'), '{}'));
    expect(readdirSync(empty)).toEqual(['b.json']);
    expect(readdirSync(root).sort()).toEqual(['empty', 'out']);
  });

  test('a failure leaves nothing behind; a folder with files is refused before any work, not deleted', () => {
    const root = tmp();
    const out = path.join(root, 'out');
    mkdirSync(`${out}.tmp`); // left by a crash
    expect(() =>
      writeDirDurable(out, (temp) => {
        writeFileDurable(path.join(temp, 'half.bin'), 'x');
        throw new Error('check failed');
      }),
    ).toThrow('check failed');
    expect(readdirSync(root)).toEqual([]);
    mkdirSync(out);
    writeFileSync(path.join(out, 'keep.txt'), 'mine');
    let called = false;
    expect(() => writeDirDurable(out, () => void (called = true))).toThrow(`cannot write ${out}: it exists and is not an empty folder`);
    expect(called).toBe(false);
    expect(readdirSync(out)).toEqual(['keep.txt']);
  });
});

describe('syncDir', () => {
  test('syncs a folder; one that cannot be opened is not an error (some file systems refuse)', () => {
    const dir = tmp();
    expect(() => syncDir(dir)).not.toThrow();
    expect(() => syncDir(path.join(dir, 'missing'))).not.toThrow();
  });
});

describe('ensureDir', () => {
  test('names a path component that is a file, and a read-only parent', () => {
    const dir = tmp();
    writeFileSync(path.join(dir, 'file'), '');
    expect(() => ensureDir(path.join(dir, 'file', 'sub'))).toThrow(/file exists and is not a folder/);
    expect(() => ensureDir('/proc/codistill-x/y')).toThrow(/cannot create folder \/proc\/codistill-x\/y/);
    if (process.getuid?.() !== 0) {
      const ro = path.join(dir, 'ro');
      ensureDir(ro);
      chmodSync(ro, 0o555);
      expect(() => ensureDir(path.join(ro, 'a', 'b'))).toThrow(/ro is not writable/);
    }
  });
});

describe('lockFile', () => {
  test("a held lock is refused to this process and to others; a dead owner's lock is taken over", () => {
    const target = path.join(tmp(), 'out.jsonl');
    const lock = `${target}.lock`;
    const first = lockFile(target);
    expect(() => lockFile(target)).toThrow(/in use by another task of this process/);
    first.release();
    expect(existsSync(lock)).toBe(false);
    writeFileSync(lock, String(process.ppid)); // a live process that is not us
    expect(() => lockFile(target)).toThrow(/in use by another process \(pid \d+\)/);
    const exited = spawnSync(process.execPath, ['-e', '']);
    writeFileSync(lock, String(exited.pid)); // stale
    const second = lockFile(target);
    expect(readFileSync(lock, 'utf8')).toBe(String(process.pid));
    second.release();
    expect(existsSync(lock)).toBe(false);
  });

  test('a lock the disk refuses to write is an error, and leaves no empty lock behind', () => {
    const dir = tmp();
    const target = path.join(dir, 'out.jsonl');
    expect(underFileSizeLimit(dir, 0, `util.lockFile(${JSON.stringify(target)});`)).toMatch(/refused: cannot lock .*out\.jsonl: EFBIG/);
    expect(existsSync(`${target}.lock`)).toBe(false);
  });
});
