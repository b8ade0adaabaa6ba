;; Item 3: a module that declares a 4 GiB memory maximum, with a manifest asking memory_mb 65536.
;; With a silent job the grant is the host default (64 MiB), so the module is refused before it is
;; instantiated.
(module
  (memory (export "memory") 1 65536)
  (func (export "next_batch") (result i32) (i32.const 0)))
