/**
 * How a container's stdout reaches the host: a FIFO in a read-only bind when the image has /bin/sh,
 * Docker's attach stream otherwise. Both give the same bytes and exit status; a container that
 * never opens the FIFO, or is stopped mid-stream, ends the stream instead of leaving the reader
 * waiting; nothing is left behind.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { type ContainerSpec, runContainer, splitLines } from '../../host/engines/docker/index.js';
import { leftoverContainers, startDockerAndBuild } from './airbyte-setup.js';

beforeAll(() => startDockerAndBuild());

const BUSYBOX = 'dativo-test/busybox:local';
const NOSHELL = 'dativo-test/noshell:local';

/** Binds of a created container, from the engine itself. */
function binds(id: string): string[] {
  return JSON.parse(
    execFileSync('docker', ['inspect', '--format', '{{json .HostConfig.Binds}}', id]).toString(),
  );
}

async function run(spec: Omit<ContainerSpec, 'network'>) {
  const stderr: string[] = [];
  const c = await runContainer({ ...spec, network: 'none' }, { onStderrLine: (l) => stderr.push(l) });
  const mounts = binds(c.id);
  const lines: string[] = [];
  for await (const l of splitLines(c.stdout)) lines.push(l.text);
  const status = await c.wait();
  await c.remove();
  return { id: c.id, lines, stderr, status, mounts, tail: c.stderrTail() };
}

describe('container stdout', () => {
  it('goes through a FIFO in a read-only bind, with stderr and the exit code as over attach', async () => {
    const r = await run({
      image: BUSYBOX,
      args: ['a b', 'c'],
      entrypoint: ['/bin/sh', '-c', 'for x in "$@"; do echo "out $x"; done; echo "err" >&2; exit 3', 'sh'],
    });
    expect(r.lines).toEqual(['out a b', 'out c']);
    expect(r.stderr).toEqual(['err']);
    expect(r.status).toMatchObject({ exitCode: 3, killed: false });
    const io = r.mounts.find((b) => b.includes(':/dativo-io:'));
    expect(io).toMatch(/:\/dativo-io:ro$/);
    // The directory holding the FIFO is gone with the container.
    expect(existsSync((io as string).split(':')[0] as string)).toBe(false);
  });

  it("runs the image's own entrypoint with the args (as Docker would)", async () => {
    const r = await run({ image: 'dativo-test/airbyte-stripe:local', args: ['spec'] });
    expect(r.lines).toHaveLength(1);
    expect(JSON.parse(r.lines[0] as string).type).toBe('SPEC');
    expect(r.status.exitCode).toBe(0);
  });

  it('an image without /bin/sh keeps the attach stream', async () => {
    const r = await run({ image: NOSHELL, args: ['echo', 'from attach'] });
    expect(r.lines).toEqual(['from attach']);
    expect(r.status.exitCode).toBe(0);
    expect(r.mounts.some((b) => b.includes('/dativo-io'))).toBe(false);
  });

  it('a command that cannot start ends the stream: no lines, its exit code and error', async () => {
    const r = await run({ image: BUSYBOX, args: [], entrypoint: ['/no/such/connector'] });
    expect(r.lines).toEqual([]);
    expect(r.status.exitCode).toBe(127);
    expect(r.tail).toMatch(/no\/such\/connector/);
  });

  it('a container stopped mid-stream ends the stream and leaves nothing behind', async () => {
    const c = await runContainer({
      image: BUSYBOX,
      args: [],
      entrypoint: ['/bin/sh', '-c', 'i=0; while :; do i=$((i+1)); echo "line $i"; done'],
      network: 'none',
    });
    const io = binds(c.id)
      .find((b) => b.includes(':/dativo-io:'))
      ?.split(':')[0];
    let n = 0;
    for await (const l of splitLines(c.stdout)) {
      n++;
      expect(l.text).toBe(`line ${n}`);
      if (n === 50_000) void c.stop(2000);
    }
    const status = await c.wait();
    await c.remove();
    expect(n).toBeGreaterThanOrEqual(50_000);
    expect(status.killed).toBe(false);
    expect(io && existsSync(io)).toBe(false);
    expect(leftoverContainers().map((id) => id.slice(0, 12))).not.toContain(c.id.slice(0, 12));
  });
});
