#!/usr/bin/env node
// The CLI entry: a plain JavaScript file so `node` and `npx dativo` run it after `npm ci`
// (which builds dist/ in `prepare`).
import { main } from '../dist/cli/main.js';

main(process.argv).then((code) => {
  process.exitCode = code;
});
