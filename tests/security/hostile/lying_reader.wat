;; Item 1: a reader whose second batch lies about its body. Call 1 returns a valid batch
;; (GOOD), call 2 the lie (LIE): a record-batch header edited to claim more rows than its body
;; holds, a negative length or a buffer past the body (tests/security/hostile/lying-batches.ts
;; writes both into this template), call 3 ends the stream.
(module
  (import "dativo" "output_bytes" (func $output (param i32 i32) (result i32)))
  (memory (export "memory") 2 2)
  (global $calls (mut i32) (i32.const 0))
  (data (i32.const 1024) "{{GOOD}}")
  (data (i32.const 65536) "{{LIE}}")
  (func (export "next_batch") (result i32)
    (global.set $calls (i32.add (global.get $calls) (i32.const 1)))
    (if (i32.eq (global.get $calls) (i32.const 1))
      (then (drop (call $output (i32.const 1024) (i32.const {{GOOD_LEN}})))))
    (if (i32.eq (global.get $calls) (i32.const 2))
      (then (drop (call $output (i32.const 65536) (i32.const {{LIE_LEN}})))))
    (i32.const 0)))
