/**
 * Fault injection for the crash-safety tests, as a hook object. Nothing in the shipped CLI installs
 * one, so a run never stops on purpose; the test entry point (tests/helpers/crash-cli.mjs) installs
 * hooks before the CLI starts, which is how the tests kill a real process mid-commit.
 */
import type { CrashPoint } from '../sinks/file-sink.js';

export interface FaultHooks {
  /** Stop the commit right after this point, throwing SimulatedCrash. */
  crashAfter?: CrashPoint;
  /** Called with the SimulatedCrash before the run reports anything (the tests SIGKILL here). */
  onSimulatedCrash?: (err: Error) => void;
}

let installed: FaultHooks = {};

export function installFaultHooks(hooks: FaultHooks): void {
  installed = hooks;
}

export function faultHooks(): FaultHooks {
  return installed;
}
