/**
 * Hardened containers for connector engines (Airbyte, Singer). The small surface engines use:
 * `runContainer` (see run.ts), `createConfigDir` for the read-only config mount, `splitLines` for
 * line protocols, and `resolveImage` for digest pins.
 */

export { type Line, type LineOptions, splitLineBatches, splitLines } from '../protocol/lines.js';
export { type ConfigDir, type ConfigDirOptions, createConfigDir } from './config-dir.js';
export { demux } from './demux.js';
export { type ImageRequest, type PullPolicy, type ResolvedImage, resolveImage } from './image.js';
export {
  assertDockerReady,
  type ContainerLimits,
  type ContainerSpec,
  DEFAULT_LIMITS,
  dockerClient,
  type ExitStatus,
  hostConfig,
  type NetworkMode,
  type RunningContainer,
  type RunOptions,
  runContainer,
} from './run.js';
