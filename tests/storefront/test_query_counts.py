"""Product list and product page cost the same number of queries for 5 products as for 60."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests import factories
from tests.fixtures.catalog import build_catalogue

MAX_QUERIES = 13  # 12, and one for the certificates of the products shown (catalog.certificates)


def queries_for(client, url: str, django_assert_max_num_queries) -> int:
    warm = client.get(url)  # the first view generates the renditions
    assert warm.status_code == 200
    with django_assert_max_num_queries(MAX_QUERIES), CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    assert response.content.count(b".webp") > 0
    return len(captured)


@pytest.mark.parametrize("page", ["list", "detail"])
def test_query_count_does_not_grow_with_the_catalogue(
    client, db, warehouse, counter, page, django_assert_max_num_queries
):
    category = factories.make_category()
    counts = []
    products = []
    for size in (5, 60):
        products += build_catalogue(size - len(products), category=category, warehouse=warehouse, counter=counter)
        assert len(products) == size
        url = "/products/" if page == "list" else products[-1].get_absolute_url()
        counts.append(queries_for(client, url, django_assert_max_num_queries))
    assert counts[0] == counts[1]
