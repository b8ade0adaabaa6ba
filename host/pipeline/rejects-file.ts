/**
 * Rejected rows of a run, streamed to a local JSON-lines file as they are found, so a warn-mode run
 * with millions of bad rows holds none of them in memory. The sink publishes the file at commit
 * (`_rejects/<run-id>.jsonl`); it is a report, not data.
 */

import { once } from 'node:events';
import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

export interface RejectsFile {
  add(line: unknown): Promise<void>;
  /** The file's path when anything was written, after flushing it; undefined when empty. */
  finish(): Promise<string | undefined>;
  dispose(): Promise<void>;
}

export function createRejectsFile(runId: string): RejectsFile {
  let dir: string | undefined;
  let out: WriteStream | undefined;
  let count = 0;
  return {
    async add(line) {
      if (!out) {
        dir = await mkdtemp(path.join(os.tmpdir(), `dativo-rejects-${runId}-`));
        out = createWriteStream(path.join(dir, 'rejects.jsonl'));
      }
      count++;
      if (!out.write(`${JSON.stringify(line)}\n`)) await once(out, 'drain');
    },
    async finish() {
      if (!out || count === 0) return undefined;
      out.end();
      await once(out, 'finish');
      return out.path.toString();
    },
    async dispose() {
      out?.destroy();
      if (dir) await rm(dir, { recursive: true, force: true });
    },
  };
}
