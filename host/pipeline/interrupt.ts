/**
 * SIGINT/SIGTERM abort the run: nothing is committed unless the commit record already exists
 * (then the next start rolls it forward), and the run exits 2 with "interrupted". A run that has
 * not ended GRACE_MS after the signal exits anyway (130), and so does a second signal, at once:
 * staging of this run is cleaned by the next start.
 */
export const GRACE_MS = 5000;
export interface Interrupt {
  readonly signal: AbortSignal;
  dispose(): void;
}

export function onInterrupt(): Interrupt {
  const controller = new AbortController();
  const handler = (sig: NodeJS.Signals) => {
    if (controller.signal.aborted) {
      // A second Ctrl-C means "now": staging of this run is cleaned by the next start.
      process.exit(130);
    }
    controller.abort(new Error(`interrupted by ${sig}`));
    // Unref'd: it does not keep a finished process alive, but it fires while anything else does.
    setTimeout(() => {
      process.stderr.write(`dativo: the run did not stop within ${GRACE_MS} ms of ${sig}; exiting\n`);
      process.exit(130);
    }, GRACE_MS).unref();
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return {
    signal: controller.signal,
    dispose() {
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
    },
  };
}
