// The trusted side of a Python plugin: runs in Deno, inside bubblewrap, with every Deno permission
// denied except reading the Pyodide files, this bundle and the granted input files. It loads
// Pyodide (from a memory snapshot when the host hands one over), installs the compatibility
// modules, and then answers the host's requests one at a time over framed stdio (protocol.ts on the
// host side describes the frames). Python's host calls (log, secrets, http, state) are synchronous
// round trips on the same pipes. Rows from Python become Arrow IPC here, with apache-arrow.
//
// Plain JavaScript (not TypeScript): the host bundles it with esbuild, as is, for Deno.
import { Bool, Float64, Int64, makeTable, tableToIPC, Utf8, vectorFromArray } from 'apache-arrow';

const PYODIDE_DIR = '/sandbox/pyodide/';
const BOOT = JSON.parse(new TextDecoder().decode(Deno.readFileSync('/sandbox/boot.json')));

// ---- frames: [u32 BE header length][u32 BE body length][header JSON][body bytes] ----
function readExact(n) {
  const out = new Uint8Array(n);
  let off = 0;
  while (off < n) {
    const got = Deno.stdin.readSync(out.subarray(off));
    if (got === null) Deno.exit(0); // the host closed the pipe: nothing more to do
    off += got;
  }
  return out;
}

function readFrame() {
  const head = new DataView(readExact(8).buffer);
  const header = JSON.parse(new TextDecoder().decode(readExact(head.getUint32(0))));
  const body = readExact(head.getUint32(4));
  return { header, body };
}

function writeAll(bytes) {
  let off = 0;
  while (off < bytes.length) off += Deno.stdout.writeSync(bytes.subarray(off));
}

function writeFrame(header, body = new Uint8Array(0)) {
  const h = new TextEncoder().encode(JSON.stringify(header));
  const prefix = new Uint8Array(8);
  const dv = new DataView(prefix.buffer);
  dv.setUint32(0, h.length);
  dv.setUint32(4, body.length);
  writeAll(prefix);
  writeAll(h);
  writeAll(body);
}

/** A call from Python to the host: one frame out, one frame back. */
function hostCall(op, argsJson) {
  writeFrame({ kind: 'call', op, args: JSON.parse(argsJson) });
  const { header } = readFrame();
  return JSON.stringify(header);
}

// ---- Arrow from columns ----
function columnOf(values) {
  let ints = true;
  let nums = true;
  let bools = true;
  for (const v of values) {
    if (v === null || v === undefined) continue;
    if (typeof v !== 'boolean') bools = false;
    if (typeof v !== 'number') nums = ints = false;
    else if (!Number.isSafeInteger(v)) ints = false;
  }
  const present = values.some((v) => v !== null && v !== undefined);
  if (present && bools) return vectorFromArray(values, new Bool());
  if (present && ints)
    return vectorFromArray(
      values.map((v) => (v === null || v === undefined ? null : BigInt(v))),
      new Int64(),
    );
  if (present && nums) return vectorFromArray(values, new Float64());
  const text = values.map((v) =>
    v === null || v === undefined ? null : typeof v === 'string' ? v : JSON.stringify(v),
  );
  return vectorFromArray(text, new Utf8());
}

function ipcOf({ names, columns }) {
  const vectors = {};
  names.forEach((n, i) => {
    vectors[n] = columnOf(columns[i]);
  });
  return tableToIPC(makeTable(vectors), 'stream');
}

// ---- a writer's output folder: listed and read here, on the trusted side, for the host ----
// Symbolic links are reported, never followed, and a path through one is refused: what the host
// publishes is exactly the regular files under the output base.
function listOutput(py, root) {
  const out = [];
  const walk = (dir, rel) => {
    for (const name of py.FS.readdir(dir)) {
      if (name === '.' || name === '..') continue;
      const p = `${dir}/${name}`;
      const r = rel ? `${rel}/${name}` : name;
      const mode = py.FS.lstat(p).mode;
      if (py.FS.isLink(mode)) out.push({ name: r, kind: 'symlink' });
      else if (py.FS.isDir(mode)) walk(p, r);
      else if (py.FS.isFile(mode)) out.push({ name: r, kind: 'file', size: py.FS.lstat(p).size });
      else out.push({ name: r, kind: 'other' });
    }
  };
  if (py.FS.analyzePath(root).exists) walk(root, '');
  return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

function readOutput(py, root, name) {
  const parts = String(name).split('/');
  if (parts.some((s) => s === '' || s === '.' || s === '..')) throw new Error(`bad output name ${name}`);
  let p = root;
  for (const s of parts) {
    p = `${p}/${s}`;
    if (py.FS.isLink(py.FS.lstat(p).mode)) throw new Error(`${p} is a symbolic link`);
  }
  if (!py.FS.isFile(py.FS.lstat(p).mode)) throw new Error(`${p} is not a regular file`);
  return py.FS.readFile(p);
}

/** The output requests, or undefined for a request the Python side answers. */
function outputRequest(py, header) {
  if (header.op === 'list_output')
    return { reply: { kind: 'result', ok: true, value: listOutput(py, header.root) } };
  if (header.op !== 'read_output') return undefined;
  const body = readOutput(py, header.root, header.name);
  return { reply: { kind: 'result', ok: true, value: { bytes: body.length } }, body };
}

// ---- Pyodide ----
async function boot() {
  const { loadPyodide } = await import(`${PYODIDE_DIR}pyodide.mjs`);
  const snapshot = BOOT.snapshot ? Deno.readFileSync('/sandbox/snapshot.bin') : undefined;
  const py = await loadPyodide({
    indexURL: PYODIDE_DIR,
    // No globals from this process: Python reaches the host only through `_dativo_host` below.
    jsglobals: Object.create(null),
    stdout: (line) => hostCall('log', JSON.stringify({ level: 'info', message: line, stream: 'stdout' })),
    stderr: (line) => hostCall('log', JSON.stringify({ level: 'warn', message: line, stream: 'stderr' })),
    ...(snapshot ? { _loadSnapshot: snapshot } : { _makeSnapshot: BOOT.makeSnapshot === true }),
  });
  return py;
}

function installFiles(py) {
  // The compatibility modules and the plugin itself, copied into Pyodide's in-memory filesystem.
  for (const f of BOOT.files) {
    const dir = f.inside.slice(0, f.inside.lastIndexOf('/')) || '/';
    py.FS.mkdirTree(dir);
    py.FS.writeFile(f.inside, Deno.readFileSync(f.host));
  }
}

// Standard-library modules the runner, the compatibility modules, `requests` and the PDK import:
// imported before the snapshot is taken, so a start from it finds them loaded. Never plugin code
// or input: the snapshot is shared by every plugin.
const PREIMPORT =
  'import base64, csv, datetime, decimal, email.utils, importlib.util, io, json, logging, os, random, re, sys, time, traceback, urllib.parse';

const py = await boot();
if (BOOT.makeSnapshot && !BOOT.snapshot) {
  py.runPython(PREIMPORT);
  writeFrame({ kind: 'snapshot' }, py.makeMemorySnapshot());
}
installFiles(py);
py.registerJsModule('_dativo_host', { call: hostCall });
py.runPython(`import sys; sys.path.insert(0, ${JSON.stringify(BOOT.pythonPath)})`);
const glue = py.pyimport('_dativo_runner');
py.pyimport('_dativo_hostcall').seal();
writeFrame({ kind: 'ready' });

for (;;) {
  const { header } = readFrame();
  let reply;
  let body;
  try {
    const output = outputRequest(py, header);
    if (output) ({ reply, body } = output);
    else {
      const { value: out, error } = JSON.parse(glue.handle(JSON.stringify(header)));
      if (error !== undefined) reply = { kind: 'result', ok: false, error };
      else if (out && out.batch === true) {
        body = ipcOf(out);
        reply = { kind: 'result', ok: true, value: { batch: true, rows: out.rows } };
      } else reply = { kind: 'result', ok: true, value: out };
    }
  } catch (e) {
    reply = { kind: 'result', ok: false, error: String(e?.message ?? e) };
  }
  writeFrame(reply, body);
}
