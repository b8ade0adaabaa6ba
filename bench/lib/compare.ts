/**
 * Runs two or more commands ("sides") the same number of times, interleaved: run i starts with
 * side i mod n, so no side always runs first on a cold cache or always after another's garbage.
 * Prints each side's median and spread, the ratio of each reference to the first side (above 1:
 * the first side is faster), peak RSS and the load average before and after. Benchmarks only.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import os from 'node:os';

/** One command to time. `cleanup` runs after it, untimed (temp dirs, state). */
export interface Invocation {
  cmd: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  cleanup?: () => Promise<void>;
}

export interface Side {
  name: string;
  /** A fresh invocation per run (e.g. its own output folder). */
  prepare: () => Invocation | Promise<Invocation>;
}

export interface Sample {
  ms: number;
  /** Peak resident set size, MB; undefined where it could not be measured. */
  peakRssMb: number | undefined;
}

/** Times one invocation; throws when the command fails. Replaced in tests. */
export type Executor = (side: string, inv: Invocation) => Promise<Sample>;

export interface SideStats {
  name: string;
  samples: number[];
  median: number;
  /** (max − min) / median of the samples. */
  spread: number;
  peakRssMb: number | undefined;
}

export interface Comparison {
  sides: SideStats[];
  /** For each side after the first: its median over the first side's median. */
  ratios: { name: string; ratio: number }[];
  loadBefore: number[];
  loadAfter: number[];
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** The order of the sides in run `i`: a rotation, so each side goes first as often as the others. */
export function runOrder(sides: number, i: number): number[] {
  return Array.from({ length: sides }, (_, k) => (i + k) % sides);
}

/** `Maximum resident set size (kbytes): N` of GNU time's -v report, in MB. */
export function peakRssFromTimeV(report: string): number | undefined {
  const m = /Maximum resident set size \(kbytes\): (\d+)/.exec(report);
  return m ? Number(m[1]) / 1024 : undefined;
}

const GNU_TIME = '/usr/bin/time';

/**
 * The real executor: wall time around the spawn; peak RSS from GNU time's -v report (written to
 * stderr after the command's own output) where /usr/bin/time exists.
 */
export const spawnExecutor: Executor = (side, inv) =>
  new Promise((resolve, reject) => {
    const withTime = existsSync(GNU_TIME);
    const [cmd, args] = withTime ? [GNU_TIME, ['-v', inv.cmd, ...inv.args]] : [inv.cmd, inv.args];
    const t0 = performance.now();
    const child = spawn(cmd, args, {
      cwd: inv.cwd,
      env: inv.env ?? process.env,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => {
      const ms = performance.now() - t0;
      if (code !== 0) {
        reject(new Error(`${side}: ${inv.cmd} exited with ${code}: ${stderr.slice(-2000)}`));
        return;
      }
      resolve({ ms, peakRssMb: withTime ? peakRssFromTimeV(stderr) : undefined });
    });
  });

function stats(name: string, samples: Sample[]): SideStats {
  const ms = samples.map((s) => s.ms);
  const m = median(ms);
  const rss = samples.map((s) => s.peakRssMb).filter((x): x is number => x !== undefined);
  return {
    name,
    samples: ms,
    median: m,
    spread: m > 0 ? (Math.max(...ms) - Math.min(...ms)) / m : 0,
    peakRssMb: rss.length ? Math.max(...rss) : undefined,
  };
}

export interface CompareOptions {
  runs?: number;
  exec?: Executor;
  loadavg?: () => number[];
}

/** Runs every side `runs` times (default 5), interleaved and rotating which goes first. */
export async function compare(sides: readonly Side[], opts: CompareOptions = {}): Promise<Comparison> {
  if (sides.length < 2) throw new Error('compare needs at least two sides');
  const runs = opts.runs ?? 5;
  const exec = opts.exec ?? spawnExecutor;
  const loadavg = opts.loadavg ?? os.loadavg;
  const loadBefore = loadavg();
  const samples: Sample[][] = sides.map(() => []);
  for (let i = 0; i < runs; i++) {
    for (const k of runOrder(sides.length, i)) {
      const side = sides[k]!;
      const inv = await side.prepare();
      try {
        samples[k]!.push(await exec(side.name, inv));
      } finally {
        await inv.cleanup?.();
      }
    }
  }
  const all = sides.map((s, k) => stats(s.name, samples[k]!));
  const first = all[0]!;
  return {
    sides: all,
    ratios: all.slice(1).map((s) => ({ name: s.name, ratio: s.median / first.median })),
    loadBefore,
    loadAfter: loadavg(),
  };
}

const f = (n: number, d: number) => n.toFixed(d);

/** The printed table: one line per side, the ratios, the load average. */
export function formatComparison(c: Comparison): string {
  const width = Math.max(...c.sides.map((s) => s.name.length));
  const lines = c.sides.map(
    (s) =>
      `  ${s.name.padEnd(width)}  median ${f(s.median / 1000, 3)} s  spread ${f(s.spread * 100, 1)}%  ` +
      `peak RSS ${s.peakRssMb === undefined ? 'n/a' : `${f(s.peakRssMb, 0)} MB`}  (${s.samples.length} runs)`,
  );
  const first = c.sides[0]!.name;
  for (const r of c.ratios)
    lines.push(`  ratio  ${first} is ${f(r.ratio, 2)}× ${r.name} (its median over ${first}'s)`);
  const load = (l: number[]) => l.map((x) => f(x, 2)).join(' ');
  lines.push(
    `  load average ${load(c.loadBefore)} before, ${load(c.loadAfter)} after (${os.cpus().length} cores)`,
  );
  return lines.join('\n');
}
