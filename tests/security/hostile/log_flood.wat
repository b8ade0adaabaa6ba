;; Item 7: a reader that logs 1000 lines of 1 KiB in every call (the per-call maximum) and returns
;; a valid batch (GOOD) from each of its first 40 calls: 40 MiB of logs for 120 rows.
(module
  (import "dativo" "output_bytes" (func $output (param i32 i32) (result i32)))
  (import "dativo" "bulk_store" (func $store (param i32 i32) (result i64)))
  (import "dativo" "log" (func $log (param i32 i64)))
  (memory (export "memory") 2 2)
  (global $calls (mut i32) (i32.const 0))
  (data (i32.const 4096) "{{GOOD}}")
  (func (export "next_batch") (result i32)
    (local $h i64) (local $i i32)
    (global.set $calls (i32.add (global.get $calls) (i32.const 1)))
    (if (i32.gt_u (global.get $calls) (i32.const 40)) (then (return (i32.const 0))))
    (memory.fill (i32.const 65536) (i32.const 65) (i32.const 1024))
    (local.set $h (call $store (i32.const 65536) (i32.const 1024)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (i32.const 1000)))
        (call $log (i32.const 1) (local.get $h))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (drop (call $output (i32.const 4096) (i32.const {{GOOD_LEN}})))
    (i32.const 0)))
