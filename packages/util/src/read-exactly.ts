import { readSync } from 'node:fs';

/** `length` bytes of `fd` from `position`: readSync may return fewer than asked, and a file that ends first is an error naming `file`. */
export function readExactly(fd: number, length: number, position: number, file: string): Buffer {
  const buf = Buffer.alloc(length);
  let done = 0;
  while (done < length) {
    const n = readSync(fd, buf, done, length - done, position + done);
    if (n === 0) throw new Error(`${file}: unexpected end of file at byte ${position + done}`);
    done += n;
  }
  return buf;
}
