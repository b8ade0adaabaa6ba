/**
 * Meltano: a tap declared in a project's `meltano.yml`, run with `meltano invoke <tap>` so Meltano
 * supplies the tap's config and stream selection from the project (and its own virtualenv), while
 * Dativo feeds --state from the last commit and reads the Singer messages like any Singer tap.
 *
 * UNTESTED end to end: Meltano is not installable on the machines this was built on (no PyPI). The
 * config checks (project, declared extractor) and the "not installed" error are tested.
 * Meltano runs outside any sandbox (it manages virtualenvs, plugins and network itself); the run
 * report flags it as unsandboxed.
 *
 * Options (`source.engine.options.meltano`): project_dir (folder of meltano.yml, default the job's
 * folder), extractor (default `tap-<source type>`), executable (default `meltano` on PATH),
 * streams, stop_grace_seconds.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import type { ResolvedJob } from '../../config/types.js';
import { DativoError } from '../../errors.js';
import { findOnPath } from '../bwrap/path.js';
import { createSingerSource, type EngineSource } from '../singer/index.js';
import { resolvePath } from '../singer/options.js';

function bad(job: ResolvedJob, key: string, message: string): DativoError {
  return new DativoError('CONFIG_INVALID', `meltano: ${message}`, {
    location: {
      ...job.locate(`source.engine.options.meltano.${key}`),
      keyPath: `source.engine.options.meltano.${key}`,
    },
  });
}

/** Extractor names declared under `plugins.extractors` of a meltano.yml. */
export function declaredExtractors(meltanoYml: string): string[] {
  const doc = parse(readFileSync(meltanoYml, 'utf8')) as {
    plugins?: { extractors?: { name?: unknown }[] };
  } | null;
  const list = doc?.plugins?.extractors;
  return Array.isArray(list)
    ? list.map((e) => e?.name).filter((n): n is string => typeof n === 'string')
    : [];
}

export function createMeltanoSource(job: ResolvedJob, batchSize: number): EngineSource {
  const o = job.source.options;
  const projectDir =
    typeof o.project_dir === 'string' ? resolvePath(job, o.project_dir) : path.dirname(job.file);
  const yml = path.join(projectDir, 'meltano.yml');
  if (!existsSync(yml)) throw bad(job, 'project_dir', `no meltano.yml in ${projectDir} (set project_dir)`);
  const extractor = typeof o.extractor === 'string' ? o.extractor : `tap-${job.source.type}`;
  const declared = declaredExtractors(yml);
  if (!declared.includes(extractor))
    throw bad(
      job,
      'extractor',
      `${yml} declares no extractor "${extractor}" (it declares ${declared.length ? declared.join(', ') : 'none'})`,
    );
  const exe =
    typeof o.executable === 'string'
      ? resolvePath(job, o.executable)
      : findOnPath('meltano', process.env.PATH);
  if (!exe || !existsSync(exe))
    throw new DativoError(
      'ENGINE_UNAVAILABLE',
      `meltano: the meltano command is not installed (not on PATH); install Meltano (pipx install meltano), ` +
        `run \`meltano install\` in ${projectDir}, or run the tap directly with engine "singer" ` +
        '(source.engine.options.singer.executable or image)',
      { location: job.locate('source.engine') },
    );
  const streams = Array.isArray(o.streams) ? o.streams.map(String) : job.source.objects;
  const grace = typeof o.stop_grace_seconds === 'number' ? o.stop_grace_seconds : 10;
  // Meltano needs a PATH and a HOME; nothing else of Dativo's environment (secrets) is passed.
  const env: Record<string, string> = { PATH: process.env.PATH ?? '/usr/bin:/bin' };
  if (process.env.HOME) env.HOME = process.env.HOME;
  return createSingerSource(job, batchSize, {
    engine: 'meltano',
    label: `meltano ${extractor}`,
    passConfig: false,
    noCatalog: true,
    options: {
      launch: { kind: 'local', executable: exe, sandboxed: false, cwd: projectDir, env },
      args: ['invoke', extractor],
      network: true,
      mounts: [],
      config: {},
      catalogFlag: '--catalog',
      streams,
      graceMs: Math.round(grace * 1000),
      limits: {},
    },
  });
}
