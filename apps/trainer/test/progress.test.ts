import { PassThrough } from 'node:stream';
import { progressBar } from '../src/progress.js';

test("the bar shows each field's value, named as given ('tok/s' included)", () => {
  const stream = Object.assign(new PassThrough(), { isTTY: true, columns: 200, cursorTo: () => true, clearLine: () => true, moveCursor: () => true });
  let text = '';
  stream.on('data', (chunk: Buffer) => (text += chunk.toString()));
  const bar = progressBar('train', true, ['loss', 'tok/s'], stream);
  bar.update(1, 4, { loss: '7.5000', 'tok/s': '583' });
  bar.stop();
  expect(text).toContain('| loss 7.5000 | tok/s 583');
  expect(text).not.toContain('{');
});
