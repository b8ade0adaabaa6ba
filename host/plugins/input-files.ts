/**
 * The read-only file input capability of reader plugins (WIT `host.input-list` / `input-read`).
 * A plugin never sees a host path: the host expands the job's `source.files` (globs included),
 * gives each file a logical name (its base name; `2-name`, `3-name`… on a clash) and lets the
 * plugin read byte ranges of exactly those files by that name. Anything else is denied.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import path from 'node:path';
import type { InputFile } from '../config/types.js';
import type { Logger } from '../observability/logger.js';
import { expandFiles } from '../sources/csv/files.js';
import type { PluginManifest } from './manifest.js';

/** One granted file: the plugin knows `name` and `size`; `path` stays on the host side. */
export interface GrantedFile {
  name: string;
  size: number;
  path: string;
}

/** Largest single `input_read` (bytes); a plugin reads big files in chunks. */
export const MAX_INPUT_READ = 64 * 1024 * 1024;

/** Logical names: base names, made unique in list order. */
export function logicalNames(paths: readonly string[]): string[] {
  const used = new Set<string>();
  return paths.map((p) => {
    const base = path.basename(p);
    let name = base;
    for (let k = 2; used.has(name); k++) name = `${k}-${base}`;
    used.add(name);
    return name;
  });
}

/**
 * The files a reader plugin may read: the job's `source.files` (expanded) when the manifest asks
 * for `capabilities.files`; otherwise none (with a `plugin_not_granted` line when the job lists
 * files the plugin did not ask for).
 */
export async function grantInputFiles(
  manifest: PluginManifest,
  files: readonly InputFile[],
  logger?: Logger,
): Promise<GrantedFile[]> {
  if (files.length === 0) return [];
  if (!manifest.capabilities.files || manifest.role !== 'reader') {
    logger?.info(
      {
        event_type: 'plugin_not_granted',
        plugin: manifest.name,
        capability: 'file',
        resource: `${files.length} file(s)`,
      },
      'the job lists source.files but the plugin does not request capabilities.files',
    );
    return [];
  }
  const expanded = await expandFiles(files);
  const names = logicalNames(expanded.map((f) => f.path));
  return expanded.map((f, i) => ({ name: names[i] as string, size: f.size, path: f.path }));
}

export type ReadOutcome =
  | { ok: true; bytes: number }
  | { ok: false; denied: boolean; code: string; message: string };

/**
 * Reads granted files straight into a caller's buffer (the module's linear memory): one copy from
 * the kernel, no intermediate buffer. Each read opens and closes the file: a Worker that is
 * terminated mid-call (timeout) must not leak descriptors into the host process, and three
 * syscalls are nothing next to a multi-megabyte read.
 */
export function createInputFiles(granted: readonly GrantedFile[], plugin: string) {
  const byName = new Map(granted.map((f) => [f.name, f]));
  const list = (): { name: string; size: number }[] => granted.map(({ name, size }) => ({ name, size }));

  function check(name: string, offset: bigint, len: number): ReadOutcome | undefined {
    const f = byName.get(name);
    if (!f) {
      const shown = name.length > 200 ? `${name.slice(0, 200)}…` : name;
      return {
        ok: false,
        denied: true,
        code: 'PLUGIN_DENIED',
        message:
          `plugin ${plugin}: input file "${shown}" denied (capability file, resource ${shown}); ` +
          `granted files: ${granted.map((g) => g.name).join(', ') || 'none'} (logical names, never host paths)`,
      };
    }
    if (len > MAX_INPUT_READ) {
      return {
        ok: false,
        denied: true,
        code: 'PLUGIN_DENIED',
        message: `plugin ${plugin}: input_read of ${len} bytes from "${name}" denied (capability file, resource ${name}): at most ${MAX_INPUT_READ} bytes per call`,
      };
    }
    if (offset < 0n) {
      return {
        ok: false,
        denied: false,
        code: 'BAD_INPUT',
        message: `plugin ${plugin}: input_read offset ${offset} is negative`,
      };
    }
    return undefined;
  }

  /** Reads up to `target.byteLength` bytes of `name` at `offset`; 0 bytes = end of file. */
  function read(name: string, offset: bigint, target: Uint8Array): ReadOutcome {
    const bad = check(name, offset, target.byteLength);
    if (bad) return bad;
    const f = byName.get(name) as GrantedFile;
    if (offset >= BigInt(f.size) || target.byteLength === 0) return { ok: true, bytes: 0 };
    let fd: number | undefined;
    try {
      fd = openSync(f.path, 'r');
      let done = 0;
      // readSync may return short counts; fill the request unless the file ends.
      while (done < target.byteLength) {
        const n = readSync(fd, target, done, target.byteLength - done, Number(offset) + done);
        if (n === 0) break;
        done += n;
      }
      return { ok: true, bytes: done };
    } catch (e) {
      return {
        ok: false,
        denied: false,
        code: 'SOURCE_READ_FAILED',
        // The host path is not the plugin's business: name the logical file only.
        message: `plugin ${plugin}: reading input file "${name}" failed (${(e as NodeJS.ErrnoException).code ?? 'error'})`,
      };
    } finally {
      if (fd !== undefined) closeSync(fd);
    }
  }

  return { list, read, check };
}

export type InputFiles = ReturnType<typeof createInputFiles>;
