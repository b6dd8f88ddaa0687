"""Links both ways between products, merchants and stories; the counters page; campaigns."""

import datetime
from urllib.parse import quote

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from catalog.regions import DezhouCounty
from cms.models import CampaignPage, CounterIndexPage
from tests import factories
from tests.cms.helpers import grid, make_story
from tests.fixtures.catalog import set_stock
from tests.fixtures.http import card_names

pytestmark = pytest.mark.django_db


def test_merchant_page_shows_the_merchant_its_products_and_stories(client, story_index):
    merchant = factories.make_merchant(name="隘口镇土家织锦非遗工坊", slug="隘口织锦", summary="320名签约织娘")
    scarf = factories.make_product(merchant, name="土家织锦围巾")
    factories.make_product(merchant, name="未上架挂毯", published=False)
    factories.make_product(name="别家的茶油")
    make_story(story_index, title="一梭一线织出好日子", merchant=merchant)
    make_story(story_index, title="别人的故事")

    response = client.get("/en/merchants/隘口织锦/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "隘口镇土家织锦非遗工坊" in html and "320名签约织娘" in html
    assert card_names(response) == [scarf.name]
    assert [s.title for s in response.context["stories"]] == ["一梭一线织出好日子"]
    assert "别家的茶油" not in html and "别人的故事" not in html


def test_merchant_pages_stories_follow_a_new_story_and_the_merchants_new_name_at_once(
    client, story_index, django_capture_on_commit_callbacks
):
    merchant = factories.make_merchant(name="隘口镇土家织锦非遗工坊", slug="aikou")
    factories.make_product(merchant, name="土家织锦围巾")
    make_story(story_index, title="一梭一线织出好日子", merchant=merchant)
    html = client.get("/merchants/aikou/").content.decode()
    assert "一梭一线织出好日子" in html and "关于隘口镇土家织锦非遗工坊的故事" in html

    make_story(story_index, title="织娘的新订单", merchant=merchant)
    html = client.get("/merchants/aikou/").content.decode()
    assert "织娘的新订单" in html and "一梭一线织出好日子" in html

    with django_capture_on_commit_callbacks(execute=True):
        merchant.name = "隘口织锦工坊"
        merchant.save()
    html = client.get("/merchants/aikou/").content.decode()
    assert "关于隘口织锦工坊的故事" in html and "隘口镇土家织锦非遗工坊" not in html


def test_unknown_or_inactive_merchants_answer_404(client, db):
    inactive = factories.make_merchant(is_active=False)
    factories.make_product(inactive)
    assert client.get(f"/en/merchants/{inactive.slug}/").status_code == 404
    assert client.get("/en/merchants/nobody/").status_code == 404


@pytest.mark.parametrize("prefix", ["", "/en"])
def test_old_producer_addresses_answer_301_to_the_merchant_page(client, db, prefix):
    merchant = factories.make_merchant(slug="隘口织锦")
    factories.make_product(merchant)
    new = f"{prefix}/merchants/{quote('隘口织锦')}/"

    response = client.get(f"{prefix}/producers/隘口织锦/")

    assert response.status_code == 301 and response["Location"] == new
    assert client.get(response["Location"]).status_code == 200
    with_query = client.get(f"{prefix}/producers/隘口织锦/", {"utm_source": "leaflet"})
    assert with_query.status_code == 301 and with_query["Location"] == f"{new}?utm_source=leaflet"
    # An unknown merchant moves too, and is not found at its new address.
    gone = client.get(f"{prefix}/producers/nobody/")
    assert gone.status_code == 301 and client.get(gone["Location"]).status_code == 404


def test_product_page_lists_stories_about_its_merchant(client, story_index):
    merchant = factories.make_merchant(name="贵措脐橙合作社")
    orange = factories.make_product(merchant, name="贵措脐橙礼盒 5kg")
    make_story(story_index, title="合作社+党员+农户", merchant=merchant)
    make_story(story_index, title="草稿故事", merchant=merchant, publish=False)
    make_story(story_index, title="别人的故事")

    response = client.get(f"/products/{orange.slug}/")

    assert [s.title for s in response.context["stories"]] == ["合作社+党员+农户"]
    html = response.content.decode()
    assert "合作社+党员+农户" in html and f'href="/merchants/{merchant.slug}/"' in html


def test_counters_page_groups_active_counters_by_county_with_what_they_stock(client, home, warehouse):
    page = CounterIndexPage(title="德州专柜", slug="counters")
    home.add_child(instance=page)
    page.save_revision().publish()
    oil = factories.make_product(name="秀山野生山茶油", category=factories.make_category("茶油·粮油"))
    tea = factories.make_product(name="秀山毛尖", category=factories.make_category("茶叶"))
    decheng = factories.make_location(name="德百专柜", county=DezhouCounty.DECHENG, opening_hours="08:30–21:00")
    qihe = factories.make_location(name="齐河专柜", county=DezhouCounty.QIHE, address="齐河县齐晏大街")
    factories.make_location(name="空专柜", county=DezhouCounty.QIHE)
    factories.make_location(name="停用专柜", county=DezhouCounty.LINYI, is_active=False)
    set_stock(oil.variants.get(), decheng, 5)
    set_stock(tea.variants.get(), decheng, 2)
    set_stock(tea.variants.get(), qihe, 1, allocated=1)  # all held for an order: nothing free
    set_stock(oil.variants.get(), qihe, 3)
    for i in range(6):
        more = factories.make_location(name=f"更多专柜{i}", county=DezhouCounty.LAOLING)
        set_stock(oil.variants.get(), more, 1)
    client.get(page.url)

    with CaptureQueriesContext(connection) as queries:
        response = client.get(page.url)

    counties = {c.label: {card.counter.name: card.stocks for card in c.counters} for c in response.context["counties"]}
    assert list(counties) == [
        str(DezhouCounty.DECHENG.label),
        str(DezhouCounty.LAOLING.label),
        str(DezhouCounty.QIHE.label),
    ]
    assert counties[str(DezhouCounty.DECHENG.label)] == {"德百专柜": sorted(["茶油·粮油", "茶叶"])}
    assert counties[str(DezhouCounty.QIHE.label)] == {"空专柜": [], "齐河专柜": ["茶油·粮油"]}
    html = response.content.decode()
    assert "停用专柜" not in html and "08:30–21:00" in html and "齐河县齐晏大街" in html
    assert len(queries) <= 10


def test_campaign_shows_its_status_products_and_counters(client, home):
    today = timezone.localdate()
    product = factories.make_product(name="贵措脐橙礼盒 5kg")
    counter = factories.make_location(name="德百专柜")
    factories.make_location(name="不参加的专柜")
    running = CampaignPage(
        title="德州味展销",
        slug="fair",
        start_date=today - datetime.timedelta(days=1),
        end_date=today + datetime.timedelta(days=10),
        body=[grid(product)],
    )
    home.add_child(instance=running)
    running.counters.add(counter)
    running.save_revision().publish()
    past = CampaignPage(
        title="去年的预售",
        slug="last-year",
        start_date=today - datetime.timedelta(days=400),
        end_date=today - datetime.timedelta(days=300),
    )
    home.add_child(instance=past)
    past.save_revision().publish()

    html = client.get(f"/en{running.url}").content.decode()
    assert "On now" in html and "贵措脐橙礼盒 5kg" in html and "德百专柜" in html and "不参加的专柜" not in html
    assert "This campaign has ended" in client.get(f"/en{past.url}").content.decode()

    home_html = client.get("/en/").content.decode()
    assert "德州味展销" in home_html and "去年的预售" not in home_html


def test_a_campaign_cannot_end_before_it_starts(home):
    from django.core.exceptions import ValidationError

    campaign = CampaignPage(
        title="错误日期", slug="wrong", start_date=datetime.date(2026, 5, 1), end_date=datetime.date(2026, 4, 1)
    )
    with pytest.raises(ValidationError) as error:
        campaign.full_clean()
    assert "end_date" in error.value.message_dict
