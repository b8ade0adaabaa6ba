/**
 * `source.streams: {stream: asset_path}` expansion (no Docker): one resolved job per stream with
 * its own contract, state file and job name; bad maps reported at file:line:column. And the
 * error codes the Docker layer uses for a missing engine and a missing image.
 */
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type Docker from 'dockerode';
import { describe, expect, it } from 'vitest';
import { loadJob } from '../../../host/config/index.js';
import { assertDockerReady, resolveImage } from '../../../host/engines/docker/index.js';
import { DativoError, DativoErrors } from '../../../host/errors.js';
import { expandStreams, streamMap } from '../../../host/pipeline/expand-streams.js';

const REPO = path.resolve(new URL('../../..', import.meta.url).pathname);
const JOBS = path.join(REPO, 'tests/fixtures/connectors/airbyte-jobs');
const MULTI = path.join(JOBS, 'stripe_multi.yaml');

async function load(file: string, extra: Record<string, string> = {}) {
  return loadJob(file, {
    cwd: REPO,
    env: { STRIPE_API_KEY: 'sk_test_unit', OUT_DIR: '/tmp/out', STATE_DIR: '/tmp/st', ...extra },
  });
}

async function variant(edit: (text: string) => string): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'dativo-streams-'));
  const file = path.join(dir, 'job.yaml');
  const text = (await readFile(MULTI, 'utf8')).replace(/contracts\//g, `${JOBS}/contracts/`);
  await writeFile(file, edit(text));
  return file;
}

function lineOf(file: string, text: string, needle: string): number {
  void file;
  return text.split('\n').findIndex((l) => l.includes(needle)) + 1;
}

describe('source.streams expansion', () => {
  it('expands into one job per stream, each with its contract, state file and name', async () => {
    const job = await load(MULTI);
    expect(streamMap(job)).toEqual({
      customers: 'contracts/stripe_customers.yaml',
      charges: 'contracts/stripe_charges.yaml',
    });
    const jobs = (await expandStreams(job, REPO)) ?? [];
    expect(jobs.map((j) => j.name)).toEqual(['stripe_multi.customers', 'stripe_multi.charges']);
    expect(jobs.map((j) => j.source.objects)).toEqual([['customers'], ['charges']]);
    expect(jobs.map((j) => j.contract.name)).toEqual(['stripe_customers', 'stripe_charges']);
    expect(jobs[1]?.contract.domain).toBe('payments');
    expect(jobs.map((j) => path.relative('/tmp/st', j.statePath))).toEqual([
      'acme/stripe.customers.state.json',
      'acme/stripe.charges.state.json',
    ]);
    expect(jobs[1]?.source.incremental?.statePath).toBe(jobs[1]?.statePath);
    expect(jobs[1]?.source.config.streams).toBeUndefined();
    // The job itself is untouched.
    expect(job.source.objects).toEqual([]);
  });

  it('a job without the map is not expanded; the original list form still loads', async () => {
    expect(await expandStreams(await load(path.join(JOBS, 'stripe_customers.yaml')), REPO)).toBeUndefined();
    const file = await variant((t) => t.replace(/ {2}streams:\n(?: {4}.*\n)+/, '  streams: [customers]\n'));
    const job = await load(file);
    expect(job.source.config.streams).toEqual(['customers']);
    expect(await expandStreams(job, REPO)).toBeUndefined();
  });

  it('a missing contract and objects given as well are reported together, each at its position', async () => {
    let text = '';
    const file = await variant((t) => {
      text = t
        .replace('charges: ', 'charges: ')
        .replace(`${JOBS}/contracts/stripe_charges.yaml`, 'contracts/nope.yaml')
        .replace('  streams:\n', '  objects: [customers]\n  streams:\n');
      return text;
    });
    const job = await load(file);
    const err = await expandStreams(job, REPO).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DativoErrors);
    const errors = (err as DativoErrors).errors;
    expect(errors.map((e) => e.code)).toEqual(['CONFIG_INVALID', 'CONFIG_NOT_FOUND']);
    expect(errors[0]?.location).toMatchObject({ file, line: lineOf(file, text, 'objects: [customers]') });
    expect(errors[1]?.location).toMatchObject({
      file,
      line: lineOf(file, text, 'contracts/nope.yaml'),
      column: 5,
    });
    expect(errors[1]?.message).toMatch(
      /the contract of stream "charges" does not exist: contracts\/nope\.yaml/,
    );
  });

  it('a non-string asset path is a schema error at its file:line:column', async () => {
    let text = '';
    const file = await variant((t) => {
      text = t.replace(`charges: ${JOBS}/contracts/stripe_charges.yaml`, 'charges: 42');
      return text;
    });
    const err = await load(file).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DativoError);
    const all = err instanceof DativoErrors ? err.errors : [err as DativoError];
    const hit = all.find((e) => e.location?.keyPath?.startsWith('source.streams'));
    expect(hit?.location).toMatchObject({ file, line: lineOf(file, text, 'charges: 42') });
  });
});

describe('docker error codes', () => {
  it('no engine → ENGINE_UNAVAILABLE, retryable', async () => {
    const docker = { ping: () => Promise.reject(new Error('connect ENOENT /var/run/docker.sock')) };
    const err = await assertDockerReady(docker as unknown as Docker).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'ENGINE_UNAVAILABLE', retryable: true });
    expect((err as Error).message).toMatch(/start-docker\.sh/);
  });

  it('an image neither local nor pullable → IMAGE_NOT_FOUND naming the image and the key', async () => {
    const missing = Object.assign(new Error('no such image'), { statusCode: 404 });
    const docker = {
      getImage: () => ({ inspect: () => Promise.reject(missing) }),
      pull: () => Promise.reject(new Error('registry unreachable')),
    };
    const err = await resolveImage(docker as unknown as Docker, {
      ref: 'airbyte/source-stripe:2.1.5',
      keyPath: 'source.engine.options.airbyte.docker_image',
    }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'IMAGE_NOT_FOUND', retryable: false });
    expect((err as Error).message).toMatch(
      /airbyte\/source-stripe:2\.1\.5 is not present locally and could not be pulled: registry unreachable/,
    );
    expect((err as Error).message).toContain('source.engine.options.airbyte.docker_image');
    const never = await resolveImage(docker as unknown as Docker, { ref: 'x/y:1', pull: 'never' }).catch(
      (e: unknown) => e,
    );
    expect(never).toMatchObject({ code: 'IMAGE_NOT_FOUND' });
  });
});
