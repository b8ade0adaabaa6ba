/**
 * Start-up benchmark: `dativo --version` and `dativo validate` on the quickstart job against
 * `node -e 0`, interleaved (bench/lib/compare.ts). The goals (issue #23): --version at most 0.1 s
 * over node, validate at most 0.4 s over it. Run `npm run build` first. Not part of CI.
 *
 *   npx tsx bench/startup.ts [--runs 15]
 */
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { compare, formatComparison, type Side } from './lib/compare.js';

const REPO = fileURLToPath(new URL('..', import.meta.url));

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}

const node = (name: string, args: string[]): Side => ({
  name,
  prepare: () => ({ cmd: process.execPath, args, cwd: REPO }),
});

const runs = Number(arg('runs', '15'));
console.log(
  `start-up: ${runs} interleaved runs per side, ${os.cpus().length} cores, node ${process.version}`,
);
const c = await compare(
  [
    node('node -e 0', ['-e', '0']),
    node('dativo --version', ['bin/dativo.js', '--version']),
    node('dativo validate', ['bin/dativo.js', 'validate', '--config', 'examples/quickstart/job.yaml']),
  ],
  { runs },
);
console.log(formatComparison(c));
const base = c.sides[0]!.median;
for (const s of c.sides.slice(1))
  console.log(`  ${s.name}: ${((s.median - base) / 1000).toFixed(3)} s over node -e 0`);
