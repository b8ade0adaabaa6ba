/**
 * A copy of examples/quickstart in `dir` for tests that run real jobs: `job.yaml` (succeeds) and
 * `broken.yaml`, the same orders with one Status out of the contract's 1..8, so strict validation
 * fails every run of it. The contract path is made absolute: the copy lives outside the repo.
 */
import { cp, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { REPO } from './cli.js';

export async function copyQuickstart(dir: string): Promise<void> {
  await cp(path.join(REPO, 'examples/quickstart'), dir, { recursive: true });
  const csv = (await readFile(path.join(dir, 'data/sales_orders.csv'), 'utf8')).split('\n');
  csv[2] = csv[2]!.replace(',5,SO43660,', ',99,SO43660,');
  await writeFile(path.join(dir, 'data/bad.csv'), csv.join('\n'));
  const job = (await readFile(path.join(dir, 'job.yaml'), 'utf8')).replace(
    /^asset_path: .*$/m,
    `asset_path: ${path.join(REPO, 'assets/quickstart/sales_orders.yaml')}`,
  );
  await writeFile(path.join(dir, 'job.yaml'), job);
  await writeFile(path.join(dir, 'broken.yaml'), job.replace('data/sales_orders.csv', 'data/bad.csv'));
}
