;; Item 2: a reader that launders its config past the log masker: it logs the config reversed
;; and hex-encoded. If an ungranted ${secret:...} or ${ENV} reached its config, these log lines
;; would carry the secret in a form the masker does not recognise.
(module
  (import "dativo" "config" (func $config (result i64)))
  (import "dativo" "bulk_load" (func $load (param i64 i32) (result i64)))
  (import "dativo" "bulk_store" (func $store (param i32 i32) (result i64)))
  (import "dativo" "log" (func $log (param i32 i64)))
  (memory (export "memory") 4 4)
  (data (i32.const 0) "0123456789abcdef")
  (func (export "next_batch") (result i32)
    (local $n i32) (local $i i32) (local $b i32)
    ;; the config at 4096, its reverse at 65536, its hex at 131072
    (local.set $n (i32.wrap_i64 (call $load (call $config) (i32.const 4096))))
    (if (i32.gt_u (local.get $n) (i32.const 30000)) (then (local.set $n (i32.const 30000))))
    (local.set $i (i32.const 0))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $b (i32.load8_u (i32.add (i32.const 4096) (local.get $i))))
        (i32.store8
          (i32.sub (i32.add (i32.const 65536) (local.get $n)) (i32.add (local.get $i) (i32.const 1)))
          (local.get $b))
        (i32.store8 (i32.add (i32.const 131072) (i32.shl (local.get $i) (i32.const 1)))
          (i32.load8_u (i32.shr_u (local.get $b) (i32.const 4))))
        (i32.store8 (i32.add (i32.const 131073) (i32.shl (local.get $i) (i32.const 1)))
          (i32.load8_u (i32.and (local.get $b) (i32.const 15))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (call $log (i32.const 1) (call $store (i32.const 65536) (local.get $n)))
    (call $log (i32.const 1) (call $store (i32.const 131072) (i32.shl (local.get $n) (i32.const 1))))
    (i32.const 0)))
