/**
 * Errors of the machine rather than of the job or of Dativo: a folder that is not writable, a
 * read-only or full file system. They reach the pipeline as raw Node errors (EACCES from a mkdir
 * deep in a store); here they become a user error naming the path and the operation, so the run
 * exits 2 with a message to act on instead of INTERNAL.
 */
import { DativoError } from './errors.js';

const REASONS: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'the file system is read-only',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'the disk quota is exceeded',
};

const OPERATIONS: Record<string, string> = {
  mkdir: 'create the folder',
  open: 'open for writing',
  write: 'write',
  rename: 'rename into',
  unlink: 'delete',
  rmdir: 'delete the folder',
  copyfile: 'copy to',
  mkdtemp: 'create a temporary folder in',
  fsync: 'flush',
  access: 'access',
};

/** The DativoError for an environment errno (EACCES, EPERM, EROFS, ENOSPC, EDQUOT), else undefined. */
export function environmentError(err: unknown): DativoError | undefined {
  if (!(err instanceof Error)) return undefined;
  const e = err as NodeJS.ErrnoException;
  const reason = e.code ? REASONS[e.code] : undefined;
  if (!reason) return undefined;
  const op = (e.syscall && OPERATIONS[e.syscall]) ?? e.syscall ?? 'write';
  const where = e.path ? ` ${e.path}` : '';
  return new DativoError('WRITE_FAILED', `cannot ${op}${where}: ${reason} (${e.code})`, {
    ...(e.path ? { location: { file: e.path } } : {}),
    details: { errno: e.code, syscall: e.syscall },
    cause: err,
  });
}
