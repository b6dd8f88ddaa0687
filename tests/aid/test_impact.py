"""The public impact page: bounded queries over a large ledger, figures equal to the reports, fresh after sales.
The figures count certified sales only, so the sales here are of certified products (uncertified ones:
tests/aid/test_certified_figures.py)."""

from django.db import connection
from django.test.utils import CaptureQueriesContext

from orders.aid import certified_entries, impact_figures, mark_impact_stale, report, report_totals
from orders.models import AidLedgerEntry, CounterSale, CounterSaleLine
from orders.payments.services import refund_order
from tests.aid.helpers import certify, order_of, pay, sell_at_counter


def bulk_counter_entries(prog, count: int) -> None:
    """``count`` counter-sale credits of certified products, built directly: 100 sales of ``count / 100``
    lines each."""
    places = [(prog.oil_coop, prog.oil), (prog.brocade, prog.orange), (prog.veg_farm, prog.cabbage)]
    sales = CounterSale.objects.bulk_create(
        CounterSale(number=f"CS-BULK-{i}", location=prog.decheng_counter, total=0) for i in range(100)
    )
    lines = CounterSaleLine.objects.bulk_create(
        CounterSaleLine(
            sale=sales[i % 100],
            variant=places[i % 3][1],
            merchant=places[i % 3][0],
            product_name=f"产品{i % 3}",
            variant_name="规格",
            sku=places[i % 3][1].sku,
            unit_price=100 + i % 7,
            quantity=1,
            line_total=100 + i % 7,
        )
        for i in range(count)
    )
    AidLedgerEntry.objects.bulk_create(
        AidLedgerEntry(
            kind=AidLedgerEntry.Kind.COUNTER_SALE,
            channel="counter",
            amount=line.line_total,
            quantity=1,
            merchant=line.merchant,
            township=line.merchant.township,
            paired_county=line.merchant.paired_county,
            counter=prog.decheng_counter,
            category_id=line.variant.product.category_id,
            product_id=line.variant.product_id,
            product_name=line.product_name,
            counter_sale_id=line.sale_id,
            counter_sale_line=line,
            reference=f"CS-BULK-{line.sale_id}",
            certificate_number="XSXF-BULK",
            certificate_issuer="秀山县乡村振兴局",
        )
        for line in lines
    )


def test_renders_in_at_most_ten_queries_with_ten_thousand_entries(client, prog, impact_page):
    """Measured right after the ledger changed (figures not cached), once the site's own caches are warm."""
    bulk_counter_entries(prog, 10_000)
    assert AidLedgerEntry.objects.count() == 10_000
    client.get(impact_page.url)
    mark_impact_stale()
    with CaptureQueriesContext(connection) as queries:
        response = client.get(impact_page.url)
    assert response.status_code == 200
    assert len(queries) <= 10, "\n".join(q["sql"][:200] for q in queries.captured_queries)
    assert len([q for q in queries.captured_queries if "orders_aidledgerentry" in q["sql"]]) == 2
    html = response.content.decode()
    total = report_totals(AidLedgerEntry.objects.all())["net"]
    assert total > 1_000_000
    assert f'data-figure="total">¥{total // 100:,}.{total % 100:02d}<' in html
    assert 'data-figure="counter_sales">100<' in html
    assert "<svg" in html

    # Until the ledger changes again (or the cache expires), the page reads no ledger rows at all.
    with CaptureQueriesContext(connection) as again:
        client.get(impact_page.url)
    assert not any("orders_aidledgerentry" in q["sql"] for q in again.captured_queries)


def test_figures_equal_the_report_totals(prog, operator):
    certify(prog.oil_coop, prog.brocade, prog.veg_farm)
    first = pay(order_of((prog.oil, 2), (prog.orange, 1)))
    refund_order(first, actor=operator, reason="坏果", lines={first.lines.get(variant=prog.orange).pk: 1})
    refund_order(pay(order_of((prog.cabbage, 1))), actor=operator, reason="取消")
    sell_at_counter(prog.lingcheng_counter, (prog.orange, 2), (prog.cabbage, 1))

    figures = impact_figures()
    entries = certified_entries()
    assert figures.total == report_totals(entries)["net"] == 7600 + 5000 + 1290
    assert {row.key: row.amount for row in figures.by_township} == {
        row.key: row.net for row in report(entries, "township").rows if row.net
    }
    assert {row.key: row.amount for row in figures.by_county} == {
        row.key: row.net for row in report(entries, "paired_county").rows if row.net
    }
    assert [row.amount for row in figures.monthly] == [row.net for row in report(entries, "month").rows]
    assert (figures.orders, figures.counter_sales) == (2, 1)
    # Merchants with a positive balance: the oil coop (76.00), the orchard (50.00), the farm (12.90 at the counter).
    assert (figures.merchants, figures.households) == (3, 120 + 80 + 30)
    assert [row.amount for row in figures.top_products] == [7600, 5000, 1290]


def test_a_ledger_write_refreshes_the_cached_figures(client, prog, impact_page, django_capture_on_commit_callbacks):
    assert 'data-figure="total"' not in client.get(impact_page.url).content.decode()  # nothing recorded yet
    certify(prog.oil_coop)
    with django_capture_on_commit_callbacks(execute=True):
        sell_at_counter(prog.decheng_counter, (prog.oil, 1))
    assert 'data-figure="total">¥38.00<' in client.get(impact_page.url).content.decode()


def test_the_page_is_stored_and_every_ledger_write_drops_it_at_once(
    client, prog, impact_page, operator, settings, django_capture_on_commit_callbacks
):
    """On a campaign day the impact page is shared widely: it is served from the page cache like any page
    (rendering it afresh for every reader set the tail of the sale-day mix, issue 14), and a sale, a payment or
    a refund shows on it at once."""
    settings.PAGE_CACHE_SECONDS = 300
    certify(prog.oil_coop, prog.brocade)
    assert client.get(impact_page.url)["X-Page-Cache"] == "miss"
    stored = client.get(impact_page.url)
    assert stored["X-Page-Cache"] == "hit"
    assert 'data-figure="total"' not in stored.content.decode()  # nothing recorded yet

    with django_capture_on_commit_callbacks(execute=True):
        sell_at_counter(prog.decheng_counter, (prog.oil, 1))
    after_sale = client.get(impact_page.url)
    assert after_sale["X-Page-Cache"] == "miss"
    assert 'data-figure="total">¥38.00<' in after_sale.content.decode()
    assert client.get(impact_page.url)["X-Page-Cache"] == "hit"

    with django_capture_on_commit_callbacks(execute=True):
        paid = pay(order_of((prog.orange, 1)))
    assert 'data-figure="total">¥63.00<' in client.get(impact_page.url).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        refund_order(paid, actor=operator, reason="坏果")
    assert 'data-figure="total">¥38.00<' in client.get(impact_page.url).content.decode()


def test_a_cached_page_is_kept_while_the_ledger_is_unchanged(client, prog, impact_page, settings):
    """Stored once, read by every later reader without touching the database."""
    settings.PAGE_CACHE_SECONDS = 300
    client.get(impact_page.url)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(impact_page.url)
    assert response["X-Page-Cache"] == "hit"
    assert len(queries) == 0


def test_figures_read_while_a_sale_commits_are_not_kept_after_it(prog, monkeypatch, django_capture_on_commit_callbacks):
    """The race a busy sale day makes: a reader computes the figures from the ledger as it was, a sale commits
    (dropping the cached figures) before that reader stores them, and the stale figures must not then be served
    for minutes. The interleaving is forced by wrapping the computation (a real database and cache throughout)."""
    from orders.aid import impact

    certify(prog.oil_coop)
    real = impact.compute_impact_figures

    def read_then_sale_commits():
        figures = real()  # the ledger as it was: nothing recorded
        with django_capture_on_commit_callbacks(execute=True):
            sell_at_counter(prog.decheng_counter, (prog.oil, 1))
        return figures

    monkeypatch.setattr(impact, "compute_impact_figures", read_then_sale_commits)
    assert impact_figures().total == 0  # that reader shows what it read
    monkeypatch.setattr(impact, "compute_impact_figures", real)
    assert impact_figures().total == 3800  # the next one the sale
