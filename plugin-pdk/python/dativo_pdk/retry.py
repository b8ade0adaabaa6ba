"""Retry with exponential backoff and full jitter, honouring Retry-After (as the TS PDK's
withRetry). The host already retries 429/502/503/504 for idempotent requests; this is for what it
does not retry (a 500, a POST the API says is safe to repeat)."""
import email.utils
import random as _random
import time

from .errors import retryable


def retry_after_ms(value, now_ms):
    """Retry-After as milliseconds from `now_ms`: delta-seconds or an HTTP date; None if unreadable."""
    if value is None or str(value).strip() == "":
        return None
    try:
        secs = float(value)
        return secs * 1000 if secs >= 0 else None
    except ValueError:
        pass
    try:
        at = email.utils.parsedate_to_datetime(value).timestamp() * 1000
    except (TypeError, ValueError):
        return None
    return max(0, at - now_ms)


def with_retry(send, max_retries=3, base_delay_ms=500, max_delay_ms=30_000, retry_on=(429, 500, 502, 503, 504),
               sleep=None, now=None, random=None):
    """A `send` that tries again on the `retry_on` statuses and on retryable failures. After the last
    attempt the response is returned (or the failure raised) as is. A Retry-After longer than
    `max_delay_ms` ends the retries at once."""
    sleep = sleep or (lambda ms: time.sleep(ms / 1000))
    now = now or (lambda: time.time() * 1000)
    random = random or _random.random
    retry_on = set(retry_on)

    def backoff(attempt):
        return random() * min(max_delay_ms, base_delay_ms * 2**attempt)

    def send_with_retry(req):
        attempt = 0
        while True:
            try:
                res = send(req)
            except Exception as e:
                if attempt >= max_retries or not retryable(e):
                    raise
                sleep(backoff(attempt))
                attempt += 1
                continue
            if res.status not in retry_on or attempt >= max_retries:
                return res
            asked = retry_after_ms(res.headers.get("retry-after"), now())
            if asked is not None and asked > max_delay_ms:
                return res
            sleep(asked if asked is not None else backoff(attempt))
            attempt += 1

    return send_with_retry
