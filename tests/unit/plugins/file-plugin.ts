/**
 * A tiny WAT reader that exercises the file capability exactly as a hostile plugin would: its
 * `read` export takes `[offset u64][len u32][name…]` as input and calls `dativo.input_read` with
 * whatever it was given (any name, offset or length); `list` returns `input_list` as is. Built
 * here with wat2wasm (installed by scripts/build-test-plugins.sh) and stamped with the ABI section.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { BUILT, buildTestPlugins } from './fixtures.js';

const WAT = `(module
  (import "extism:host/env" "input_offset" (func $input_offset (result i64)))
  (import "extism:host/env" "input_length" (func $input_length (result i64)))
  (import "extism:host/env" "output_set" (func $output_set (param i64 i64)))
  (import "extism:host/env" "error_set" (func $error_set (param i64)))
  (import "extism:host/env" "length" (func $length (param i64) (result i64)))
  (import "dativo" "bulk_load" (func $bulk_load (param i64 i32) (result i64)))
  (import "dativo" "bulk_store" (func $bulk_store (param i32 i32) (result i64)))
  (import "dativo" "input_list" (func $input_list (result i64)))
  (import "dativo" "input_read" (func $input_read (param i64 i64 i32 i32) (result i64)))
  (import "dativo" "last_error" (func $last_error (result i64)))
  (memory (export "memory") 4 16)
  (func (export "read") (result i32)
    (local $n i32) (local $h i64) (local $r i64)
    (local.set $n (i32.wrap_i64 (call $input_length)))
    (drop (call $bulk_load (call $input_offset) (i32.const 0)))
    (local.set $h (call $bulk_store (i32.const 12) (i32.sub (local.get $n) (i32.const 12))))
    (local.set $r (call $input_read (local.get $h) (i64.load (i32.const 0)) (i32.const 65536) (i32.load (i32.const 8))))
    (if (i64.lt_s (local.get $r) (i64.const 0))
      (then (call $error_set (call $last_error)) (return (i32.const 1))))
    (call $output_set (call $bulk_store (i32.const 65536) (i32.wrap_i64 (local.get $r))) (local.get $r))
    (i32.const 0))
  (func (export "list") (result i32)
    (local $h i64)
    (local.set $h (call $input_list))
    (call $output_set (local.get $h) (call $length (local.get $h)))
    (i32.const 0))
  (func (export "next_batch") (result i32) (i32.const 0)))
`;

function leb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n) b |= 0x80;
    out.push(b);
  } while (n);
  return out;
}

/** Builds `.run/plugins/file-reader.wasm` (1 MiB memory maximum) and returns the module name. */
export function buildFileReader(): string {
  buildTestPlugins();
  return buildWat('file-reader', WAT);
}

/** Compiles WAT text into `.run/plugins/<name>.wasm` with the ABI section; returns `name`. */
export function buildWat(module: string, wat: string): string {
  mkdirSync(BUILT, { recursive: true });
  const tmp = path.join(BUILT, `.${module}.${process.pid}`);
  writeFileSync(`${tmp}.wat`, wat);
  execFileSync('wat2wasm', ['-o', `${tmp}.wasm`, `${tmp}.wat`]);
  const name = Buffer.from('dativo_abi');
  const body = Buffer.concat([Buffer.from(leb(name.length)), name, Buffer.from('1.0')]);
  const section = Buffer.concat([Buffer.from([0, ...leb(body.length)]), body]);
  writeFileSync(`${tmp}.wasm`, Buffer.concat([readFileSync(`${tmp}.wasm`), section]));
  renameSync(`${tmp}.wasm`, path.join(BUILT, `${module}.wasm`));
  rmSync(`${tmp}.wat`, { force: true });
  return module;
}

/** The `read` export's input: offset, length, then the name as given. */
export function readRequest(name: string, offset: bigint | number, len: number): Uint8Array {
  const nameBytes = Buffer.from(name);
  const b = Buffer.alloc(12 + nameBytes.length);
  b.writeBigUInt64LE(BigInt.asUintN(64, BigInt(offset)), 0);
  b.writeUInt32LE(len >>> 0, 8);
  nameBytes.copy(b, 12);
  return new Uint8Array(b);
}
