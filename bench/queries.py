"""SQL queries per page, counted in-process with the bench settings after one warming request.

The page cache is switched off here: the count is what a page costs when it is rendered (a cache
miss); a cache hit costs none.
"""

import json
import sys

import django


def count(paths: list[str]) -> dict[str, int]:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, override_settings

    client = Client()
    counts = {}
    with override_settings(PAGE_CACHE_SECONDS=0):
        for path in paths:
            client.get(path)
            with CaptureQueriesContext(connection) as queries:
                response = client.get(path)
            if response.status_code != 200:
                raise RuntimeError(f"{path} answered {response.status_code}")
            counts[path] = len(queries)
    return counts


if __name__ == "__main__":
    django.setup()
    print(json.dumps(count(sys.argv[1:])))
