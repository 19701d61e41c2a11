/**
 * Runs `work` with an AbortSignal that the first Ctrl-C (or SIGTERM) aborts, so the work can stop
 * at a safe point with everything finished written; a second Ctrl-C exits at once. Work that fails
 * after the first is reported as interrupted.
 */
export async function withInterrupt<T>(work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const stop = () => {
    if (controller.signal.aborted) process.exit(130);
    console.error('\nstopping after the current step (Ctrl-C again to quit at once)...');
    controller.abort(new Interrupted());
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  try {
    return await work(controller.signal);
  } catch (error) {
    // Ctrl-C reaches the whole process group: a child it stopped (a Python probe, the sandbox) fails
    // the work with its own error, which is the interruption, not a fault to report.
    throw controller.signal.aborted ? controller.signal.reason : error;
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
}

/** The abort reason withInterrupt uses; the CLI exits 130 with its message, how to resume. */
export class Interrupted extends Error {
  constructor(message = 'finished work is saved; rerun the same command to resume') {
    super(message);
    this.name = 'Interrupted';
  }
}
