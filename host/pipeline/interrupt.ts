/**
 * SIGINT/SIGTERM abort the run: nothing is committed unless the commit record already exists
 * (then the next start rolls it forward), and the run exits 2 with "interrupted".
 */
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
