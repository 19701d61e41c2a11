import { Interrupted, withInterrupt } from '../src/interrupt.js';

test("work that fails after Ctrl-C (a child process the signal stopped) is reported as interrupted, not by the child's error", async () => {
  const error = console.error;
  console.error = () => undefined; // the 'stopping after the current step' line
  try {
    const failing = withInterrupt(async () => {
      await new Promise((resolve) => setTimeout(resolve, 10));
      throw new Error('Command failed: python3 -c ... KeyboardInterrupt');
    });
    process.emit('SIGINT');
    await expect(failing).rejects.toBeInstanceOf(Interrupted);
    // Without Ctrl-C an error is the error.
    await expect(withInterrupt(async () => Promise.reject(new Error('real fault')))).rejects.toThrow('real fault');
  } finally {
    console.error = error;
  }
});
