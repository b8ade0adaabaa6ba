"""The benchmark's Python reader: the stdlib csv module, one batch per 10,000 rows."""
import csv

from dativo_ingest.plugins import BaseReader


class CsvReader(BaseReader):
    def extract(self, state_manager=None):
        for f in self.source_config.files:
            with open(f["path"], newline="") as fh:
                batch = []
                for row in csv.DictReader(fh):
                    batch.append(row)
                    if len(batch) == 10000:
                        yield batch
                        batch = []
                if batch:
                    yield batch
