"""The PDK's helpers in plain CPython with a fake `send` (run by tests/unit/plugin-pdk/python-helpers.test.ts)."""
import json
import os
import sys
import unittest
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from dativo_pdk import (  # noqa: E402
    HttpResponse,
    IncrementalCursor,
    MemoryState,
    OAuth2ClientCredentials,
    PluginError,
    RateLimiter,
    cursor_paging,
    link_paging,
    offset_paging,
    page_paging,
    paginate,
    parse_link_header,
    retry_after_ms,
    with_retry,
)


def query(url):
    return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query))


def ok(body, headers=None, status=200):
    return HttpResponse(status, headers or {}, json.dumps(body).encode())


class Paginate(unittest.TestCase):
    def test_cursor(self):
        pages = {None: ({"data": [1, 2], "next": "c2"}), "c2": {"data": [3], "next": None}}
        seen = []

        def send(req):
            seen.append(req["url"])
            return ok(pages[query(req["url"]).get("cursor")])

        got = [p.items for p in paginate({"url": "http://api/x"}, cursor_paging("next", "data"), send=send)]
        self.assertEqual(got, [[1, 2], [3]])
        self.assertEqual(query(seen[1]), {"cursor": "c2"})

    def test_offset_stops_on_short_page(self):
        rows = list(range(250))

        def send(req):
            q = query(req["url"])
            o, n = int(q["offset"]), int(q["limit"])
            return ok({"items": rows[o : o + n]})

        got = [i for p in paginate({"url": "http://api/x"}, offset_paging(100, "items"), send=send) for i in p.items]
        self.assertEqual(got, rows)

    def test_page_stops_on_empty_page(self):
        def send(req):
            n = int(query(req["url"])["page"])
            return ok({"r": [n] if n <= 3 else []})

        got = [p.items for p in paginate({"url": "http://api/x"}, page_paging("r"), send=send)]
        self.assertEqual(got, [[1], [2], [3], []])

    def test_link_header(self):
        def send(req):
            if req["url"].endswith("p=2"):
                return ok([2])
            return ok([1], {"Link": '</x?p=2>; rel="next", </x?p=9>; rel="last"'})

        got = [p.items for p in paginate({"url": "http://api/x"}, link_paging(""), send=send)]
        self.assertEqual(got, [[1], [2]])
        self.assertEqual(parse_link_header('<a>; rel="next prev"', "http://h/b/")["prev"], "http://h/b/a")

    def test_error_status_names_url(self):
        with self.assertRaises(PluginError) as cm:
            list(paginate({"url": "http://api/x"}, cursor_paging("n", "d"), send=lambda r: ok({}, status=503)))
        self.assertIn("GET http://api/x answered 503 (page 1)", str(cm.exception))
        self.assertTrue(cm.exception.retryable)

    def test_items_not_a_list(self):
        with self.assertRaises(PluginError) as cm:
            list(paginate({"url": "http://api/x"}, cursor_paging("n", "data"), send=lambda r: ok({"data": 1})))
        self.assertIn('"data" is not a list of items', str(cm.exception))

    def test_max_pages(self):
        got = list(paginate({"url": "http://a/"}, page_paging("r"), send=lambda r: ok({"r": [1]}), max_pages=2))
        self.assertEqual(len(got), 2)


class Retry(unittest.TestCase):
    def test_honours_retry_after(self):
        answers = [ok({}, {"retry-after": "2"}, 429), ok({"x": 1})]
        waits = []
        send = with_retry(lambda r: answers.pop(0), sleep=waits.append, now=lambda: 0)
        self.assertEqual(send({"url": "u"}).status, 200)
        self.assertEqual(waits, [2000])

    def test_gives_up_after_max_retries(self):
        calls = []

        def send(req):
            calls.append(1)
            return ok({}, status=500)

        res = with_retry(send, max_retries=2, sleep=lambda ms: None, random=lambda: 0.5)({"url": "u"})
        self.assertEqual((res.status, len(calls)), (500, 3))

    def test_long_retry_after_ends_retries(self):
        calls = []

        def send(req):
            calls.append(1)
            return ok({}, {"retry-after": "120"}, 429)

        self.assertEqual(with_retry(send, sleep=lambda ms: None)({"url": "u"}).status, 429)
        self.assertEqual(len(calls), 1)

    def test_no_retry_on_400_and_non_retryable_error(self):
        self.assertEqual(with_retry(lambda r: ok({}, status=400), sleep=lambda ms: None)({"url": "u"}).status, 400)

        def boom(req):
            raise PluginError("PLUGIN_DENIED", "denied", False)

        with self.assertRaises(PluginError):
            with_retry(boom, sleep=lambda ms: None)({"url": "u"})

    def test_retry_after_forms(self):
        self.assertEqual(retry_after_ms("3", 0), 3000)
        self.assertEqual(retry_after_ms("Thu, 01 Jan 1970 00:00:10 GMT", 4000), 6000)
        self.assertIsNone(retry_after_ms("soon", 0))
        self.assertIsNone(retry_after_ms(None, 0))


class Rate(unittest.TestCase):
    def test_waits_between_requests(self):
        clock = [0.0]
        waits = []

        def sleep(ms):
            waits.append(ms)
            clock[0] += ms

        lim = RateLimiter(per_second=2, burst=1, now=lambda: clock[0], sleep=sleep)
        for _ in range(3):
            lim.acquire()
        self.assertEqual(waits, [500, 500])

    def test_burst_and_bad_rate(self):
        waits = []
        lim = RateLimiter(per_second=1, burst=3, now=lambda: 0, sleep=waits.append)
        for _ in range(3):
            lim.acquire()
        self.assertEqual(waits, [])
        with self.assertRaises(ValueError):
            RateLimiter(per_second=0)


class OAuth2(unittest.TestCase):
    def test_token_cached_refreshed_and_401_retried(self):
        clock = [0]
        tokens = iter(["t1", "t2", "t3"])
        seen = []

        def send(req):
            seen.append(req)
            if req["url"] == "http://auth/token":
                return ok({"access_token": next(tokens), "expires_in": 120})
            return ok({}, status=401 if req["headers"]["authorization"] == "Bearer t2" else 200)

        auth = OAuth2ClientCredentials("http://auth/token", "id", "s3cret", send=send, now=lambda: clock[0])
        api = auth.wrap(send)
        self.assertEqual(api({"url": "http://api/a"}).status, 200)
        self.assertEqual(api({"url": "http://api/a"}).status, 200)
        self.assertEqual(sum(1 for r in seen if r["url"] == "http://auth/token"), 1)
        self.assertTrue(seen[0]["headers"]["authorization"].startswith("Basic "))
        self.assertIn("grant_type=client_credentials", seen[0]["body"])
        clock[0] = 61_000  # past expires_in − margin: a new token (t2), whose 401 brings t3
        self.assertEqual(api({"url": "http://api/a"}).status, 200)
        self.assertEqual(seen[-1]["headers"]["authorization"], "Bearer t3")

    def test_failure_names_endpoint_not_secret(self):
        auth = OAuth2ClientCredentials(
            "http://auth/token", "id", "s3cret", send=lambda r: ok({"error": "invalid_client"}, status=401)
        )
        with self.assertRaises(PluginError) as cm:
            auth.access_token()
        self.assertIn("answered 401 (invalid_client) for client id", str(cm.exception))
        self.assertNotIn("s3cret", str(cm.exception))


class Incremental(unittest.TestCase):
    def test_high_water_mark(self):
        store = MemoryState({"updated": "5"})
        cur = IncrementalCursor("updated", initial="0", store=store)
        self.assertEqual(cur.value, "5")
        for v in [7, None, 10, 9]:
            cur.observe(v)
        cur.save()
        self.assertEqual((cur.latest, store.values["updated"]), ("10", "10"))

    def test_initial_and_iso_text(self):
        store = MemoryState()
        cur = IncrementalCursor("ts", initial="2024-01-01T00:00:00Z", store=store)
        cur.observe("2024-03-01T00:00:00Z")
        cur.observe("2023-12-31T00:00:00Z")
        cur.save()
        self.assertEqual(store.values["ts"], "2024-03-01T00:00:00Z")


if __name__ == "__main__":
    unittest.main()
