export {
  type AcquireLockOptions,
  acquireLock,
  holderState,
  type Lock,
  type LockInfo,
  lockPathFor,
  processStartTime,
} from './lock.js';
export { reconcileState, stateFileOf } from './reconcile.js';
export { createStateStore, readState, type StateStore, writeJsonAtomic } from './store.js';
export { CACHED_COMMIT_KEY } from './types.js';
