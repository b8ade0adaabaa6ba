;; Items 4 and 5: a reader that sends its config (which has a "url") as an HTTP request and
;; fails with the host's error when the request fails. Its manifest asks max_response_mb 100000,
;; request_timeout_ms 600000 and max_retries 10.
(module
  (import "dativo" "config" (func $config (result i64)))
  (import "dativo" "http_request" (func $http (param i64 i64) (result i64)))
  (import "dativo" "last_error" (func $last_error (result i64)))
  (import "extism:host/env" "error_set" (func $error_set (param i64)))
  (memory (export "memory") 1 1)
  (func (export "next_batch") (result i32)
    (if (i64.eqz (call $http (call $config) (i64.const 0)))
      (then (call $error_set (call $last_error)) (return (i32.const 1))))
    (i32.const 0)))
