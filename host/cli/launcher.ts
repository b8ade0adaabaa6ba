/**
 * How to call this checkout's CLI from the working directory, for hints like plugin init's "next:".
 * `dativo` is not on PATH after `npm ci`, and `npx dativo` outside the checkout would ask the npm
 * registry for a package of that name; the `dativo` launcher at the checkout's root always works.
 */
import path from 'node:path';
import { PACKAGE_ROOT } from '../config/paths.js';

export function launcherCommand(cwd: string = process.cwd()): string {
  const launcher = path.join(PACKAGE_ROOT, 'dativo');
  const rel = path.relative(cwd, launcher);
  // Outside the checkout a climb like ../../x/dativo says less than the absolute path.
  if (rel.startsWith('..') || path.isAbsolute(rel)) return launcher;
  return `./${rel}`;
}
