// `node --import ./record-loads.mjs`: appends the URL of every ES module the process loads to the
// file named by DATIVO_TEST_LOAD_LOG, one a line (the start-up test asserts what a command loads).
// The hooks run on the loader thread, so they only write to the file; CommonJS modules required
// from CommonJS are not seen, but every package our ESM code imports is (its entry file).
import { register } from 'node:module';

register(new URL('./record-loads-hooks.mjs', import.meta.url), {
  data: { log: process.env.DATIVO_TEST_LOAD_LOG },
});
