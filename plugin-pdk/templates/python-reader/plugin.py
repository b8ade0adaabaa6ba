"""A reader that generates `rows` records in batches and remembers how far it got (incremental
state). Replace the body of `read` with your API calls: `pdk.request({"url": ...})` (or the
`paginate`, `with_retry`, `RateLimiter`, `OAuth2ClientCredentials` helpers) goes through the host,
which checks the grant. The Python standard library works; other packages are not in the sandbox."""
import dativo_pdk as pdk

BATCH = 1000


class RowsReader(pdk.Reader):
    def read(self, config, state):
        total = int(config.get("rows") or 1000)
        prefix = str(config.get("prefix") or "row")
        cursor = pdk.IncrementalCursor("next_id", initial="0", store=state)
        start = int(cursor.value)
        for lo in range(0, total, BATCH):
            ids = range(start + lo + 1, start + min(lo + BATCH, total) + 1)
            # One list of dicts is one batch; the host builds typed Arrow columns from it
            # (int → bigint, str → string, float → double, bool → boolean, None → null).
            yield [
                {"id": i, "name": f"{prefix}-{i}", "score": None if i % 7 == 0 else i / 4, "active": i % 2 == 0}
                for i in ids
            ]
            cursor.observe(ids[-1])
            cursor.save()
        pdk.log("info", f"python-reader-template: read up to {cursor.latest}")
