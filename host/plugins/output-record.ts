/**
 * The done record of a writer's outputs, shared by every runtime whose plugin writes files itself
 * (Extism/component writers, Python custom writers): one entry per output, keyed by its name.
 */
import type { CommitRecord, CommitRequest, SinkOpenContext, StagedFile } from '../sinks/sink.js';

export interface WriterOutput {
  name: string;
  /** Where the host staged the bytes (the commit protocol's staging key). */
  stagingPath: string;
  bytes: number;
}

export function outputsRecord(
  open: Pick<SinkOpenContext, 'runId' | 'job' | 'tenant'>,
  outputs: readonly WriterOutput[],
  rows: number,
  req: CommitRequest,
): CommitRecord {
  // Outputs are opaque files: their rows are counted from the batches sent, not per file.
  const files: StagedFile[] = outputs.map((f) => ({
    key: f.name,
    stagingKey: f.stagingPath,
    rows: 0,
    bytes: f.bytes,
    partition: {},
  }));
  return {
    version: 1,
    runId: open.runId,
    job: open.job,
    tenant: open.tenant,
    createdAt: new Date().toISOString(),
    status: 'done',
    files,
    rows,
    bytes: files.reduce((n, f) => n + f.bytes, 0),
    state: req.state,
  };
}
