// Run in a child process by lock.test.ts: try to take the lock at an agreed moment, report, hold it.
import { acquireLock } from '../../../host/state/lock.js';

const [statePath, startAtText, holdMsText] = process.argv.slice(2);
const startAt = Number(startAtText);
// Busy-wait rather than sleep, so all children leave the gate within the same few milliseconds.
while (Date.now() < startAt) {
  /* spin */
}
try {
  const lock = await acquireLock(statePath as string);
  process.stdout.write(`${JSON.stringify({ won: true, pid: process.pid })}\n`);
  setTimeout(async () => {
    await lock.release();
    process.exit(0);
  }, Number(holdMsText));
} catch (err) {
  process.stdout.write(
    `${JSON.stringify({ won: false, code: (err as { code?: string }).code, message: String((err as Error).message) })}\n`,
  );
  process.exit(0);
}
