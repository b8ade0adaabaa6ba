;; Also probe: unbounded host memory through vars. Every call sets one var whose *key* is a fresh
;; 8 MiB block (the value is one byte). The key outlives the call's kernel blocks in the host's
;; var map, so it must count against the budget like the value does.
(module
  (import "extism:host/env" "alloc" (func $alloc (param i64) (result i64)))
  (import "extism:host/env" "store_u8" (func $store_u8 (param i64 i32)))
  (import "extism:host/env" "var_set" (func $var_set (param i64 i64)))
  (memory (export "memory") 1 1)
  (global $calls (mut i32) (i32.const 0))
  (func (export "hoard") (result i32)
    (local $key i64)
    (global.set $calls (i32.add (global.get $calls) (i32.const 1)))
    (local.set $key (call $alloc (i64.const 8388608)))
    ;; a different key every call
    (call $store_u8 (local.get $key) (i32.add (i32.const 65) (global.get $calls)))
    (call $var_set (local.get $key) (call $alloc (i64.const 1)))
    (i32.const 0)))
