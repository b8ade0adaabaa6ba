// Test entry point: the built CLI with the crash-safety fault hooks installed. The shipped CLI has
// no test switch; this file reads DATIVO_TEST_CRASH_AT=before-record|after-record and makes the
// commit stop at that point and the process die by SIGKILL, exactly as a power cut would leave it.
import { installFaultHooks } from '../../dist/pipeline/faults.js';

const POINTS = { 'before-record': 'staged', 'after-record': 'record' };
const at = process.env.DATIVO_TEST_CRASH_AT;
if (at && !POINTS[at])
  throw new Error(`DATIVO_TEST_CRASH_AT must be before-record or after-record, got ${at}`);
if (at) {
  installFaultHooks({
    crashAfter: POINTS[at],
    onSimulatedCrash: () => process.kill(process.pid, 'SIGKILL'),
  });
}
await import('../../bin/dativo.js');
