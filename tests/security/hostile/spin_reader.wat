;; Items 3 and 6: a reader whose next_batch never returns. Its manifest asks timeout_ms 600000;
;; the job's limit (or the host default) bounds it, and SIGTERM must end the call at once. It logs
;; "spinning" first, so a test knows the call is running.
(module
  (import "dativo" "bulk_store" (func $store (param i32 i32) (result i64)))
  (import "dativo" "log" (func $log (param i32 i64)))
  (memory (export "memory") 1 1)
  (data (i32.const 0) "spinning")
  (func (export "next_batch") (result i32)
    (call $log (i32.const 1) (call $store (i32.const 0) (i32.const 8)))
    (loop $forever (br $forever))
    (i32.const 0)))
