"""A token bucket in front of `send`: at most `per_second` requests a second on average, `burst`
at once (as the TS PDK's RateLimiter)."""
import time


class RateLimiter:
    def __init__(self, per_second, burst=1, now=None, sleep=None):
        if not per_second > 0:
            raise ValueError(f"RateLimiter: per_second must be above 0 (got {per_second})")
        self.per_ms = per_second / 1000
        self.burst = max(1, burst)
        self.now = now or (lambda: time.monotonic() * 1000)
        self.sleep = sleep or (lambda ms: time.sleep(ms / 1000))
        self.tokens = float(self.burst)
        self.last = self.now()

    def acquire(self):
        """Wait until a request may go, and take its token."""
        t = self.now()
        self.tokens = min(self.burst, self.tokens + (t - self.last) * self.per_ms)
        self.last = t
        if self.tokens < 1:
            wait = (1 - self.tokens) / self.per_ms
            self.sleep(wait)
            self.tokens = 1
            self.last = t + wait
        self.tokens -= 1

    def wrap(self, send):
        def limited(req):
            self.acquire()
            return send(req)

        return limited
