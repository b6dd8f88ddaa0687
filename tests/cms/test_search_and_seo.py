"""One search (the product list) across products and stories; sitemap, robots.txt, JSON-LD, canonical and hreflang."""

import html
import json
import re
import xml.etree.ElementTree as ET

import pytest
from wagtail.models import PageViewRestriction

from catalog.regions import XiushanTownship
from tests import factories
from tests.cms.helpers import card, make_story
from tests.fixtures.catalog import add_images, make_image
from tests.fixtures.http import card_names

pytestmark = pytest.mark.django_db

SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
XHTML_LINK = "{http://www.w3.org/1999/xhtml}link"


def json_ld(html: str) -> list[dict]:
    return [
        json.loads(block) for block in re.findall(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    ]


def found_stories(response) -> list[str]:
    """The titles of the stories a searched product list shows (``cms.sections.search_stories``)."""
    page = response.content.decode()
    if 'class="search-stories"' not in page:
        return []
    section = page[page.index('class="search-stories"') :]
    section = section[: section.index("</section>")]
    return [html.unescape(title) for title in re.findall(r'class="story-card__title">([^<]*)<', section)]


def test_search_finds_chinese_words_inside_stories_and_products(client, story_index):
    workshop = factories.make_merchant(name="隘口镇土家织锦非遗工坊", township=XiushanTownship.AIKOU)
    scarf = factories.make_product(workshop, name="土家织锦围巾")
    factories.make_product(name="秀山野生山茶油")
    make_story(
        story_index, title="一梭一线织出好日子", intro="隘口镇的西兰卡普工坊", merchant=workshop, body=[card(scarf)]
    )
    make_story(story_index, title="茶籽在家门口卖上好价钱", intro="油茶加工中心")
    make_story(story_index, title="未发布的织锦故事", publish=False)

    response = client.get("/products/", {"q": "织锦"})

    assert response.status_code == 200
    assert found_stories(response) == ["一梭一线织出好日子"]
    assert card_names(response) == ["土家织锦围巾"]
    assert "茶籽" not in response.content.decode()

    assert found_stories(client.get("/products/", {"q": "西兰卡普"})) == ["一梭一线织出好日子"]
    # English readers also find Chinese stories not translated yet.
    assert found_stories(client.get("/en/products/", {"q": "织锦"})) == ["一梭一线织出好日子"]


def test_the_former_site_search_address_leads_to_the_one_search(client, db):
    response = client.get("/search/", {"q": "织锦 围巾"})
    assert response.status_code == 301
    assert response["Location"] == "/products/?q=%E7%BB%87%E9%94%A6+%E5%9B%B4%E5%B7%BE"
    assert client.get("/en/search/", {"q": "织锦"})["Location"] == "/en/products/?q=%E7%BB%87%E9%94%A6"
    assert client.get("/en/search/")["Location"] == "/en/products/"


def test_stories_behind_a_password_stay_out_of_search_and_lists(client, story_index):
    merchant = factories.make_merchant()
    product = factories.make_product(merchant, name="织锦茶旗")
    open_story = make_story(story_index, title="公开的织锦故事", merchant=merchant)
    private = make_story(story_index, title="内部的织锦故事", merchant=merchant)
    PageViewRestriction.objects.create(page=private, restriction_type="password", password="secret")

    assert found_stories(client.get("/products/", {"q": "织锦"})) == [open_story.title]
    assert [s.title for s in client.get(f"/products/{product.slug}/").context["stories"]] == [open_story.title]


def test_search_with_nothing_or_junk_answers_calmly(client, db):
    assert client.get("/en/search/", follow=True).status_code == 200
    response = client.get("/en/search/", {"q": "x" * 500}, follow=True)
    assert response.status_code == 200
    assert response.context["cards"] == [] and found_stories(response) == []


def test_sitemap_lists_pages_products_and_merchants_in_both_languages(client, story_index):
    merchant = factories.make_merchant(slug="织锦工坊")
    product = factories.make_product(merchant, name="土家织锦围巾")
    hidden = factories.make_product(merchant, name="下架", published=False)
    story = make_story(story_index, merchant=merchant)

    response = client.get("/sitemap.xml")

    assert response.status_code == 200
    root = ET.fromstring(response.content)  # noqa: S314 (our own response)
    locations = {loc.text for loc in root.iter(f"{SITEMAP}loc")}
    assert story.full_url in locations and story_index.full_url in locations
    assert story_index.get_parent().full_url in locations
    assert f"http://testserver/products/{product.slug}/" in locations
    assert f"http://testserver/en/products/{product.slug}/" in locations
    assert "http://testserver/merchants/%E7%BB%87%E9%94%A6%E5%B7%A5%E5%9D%8A/" in locations
    assert "http://testserver/en/merchants/%E7%BB%87%E9%94%A6%E5%B7%A5%E5%9D%8A/" in locations
    assert not any("/producers/" in loc for loc in locations)  # the old address only redirects
    assert not any(hidden.slug in loc for loc in locations)


def test_sitemap_gives_translated_pages_their_alternates(client, story_index, english):
    story = make_story(story_index, slug="brocade")
    for page in (story_index.get_parent(), story_index, story):
        page.specific.copy_for_translation(english).save_revision().publish()

    root = ET.fromstring(client.get("/sitemap.xml").content)  # noqa: S314 (our own response)

    entries = {
        url.find(f"{SITEMAP}loc").text: {link.get("hreflang"): link.get("href") for link in url.iter(XHTML_LINK)}
        for url in root.iter(f"{SITEMAP}url")
    }
    expected = {"zh-hans": "http://localhost/stories/brocade/", "en": "http://localhost/en/stories/brocade/"}
    assert entries["http://localhost/stories/brocade/"] == expected
    assert entries["http://localhost/en/stories/brocade/"] == expected


def test_robots_txt_points_at_the_sitemap(client, db):
    response = client.get("/robots.txt")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/plain")
    text = response.content.decode()
    assert "Sitemap: http://testserver/sitemap.xml" in text and "Disallow: /admin/" in text


def test_product_page_has_product_json_ld_canonical_hreflang_and_opengraph(client, warehouse):
    product = factories.make_product(name="秀山野生山茶油", price=12800, variants=2)
    add_images(product, 1)

    html = client.get(f"/en/products/{product.slug}/").content.decode()

    (data,) = json_ld(html)
    assert data["@type"] == "Product" and data["name"] == "秀山野生山茶油"
    assert [offer["price"] for offer in data["offers"]] == ["128.00", "129.00"]
    assert {offer["priceCurrency"] for offer in data["offers"]} == {"CNY"}
    assert data["offers"][0]["availability"] == "https://schema.org/OutOfStock"
    assert f'<link rel="canonical" href="http://testserver/en/products/{product.slug}/">' in html
    assert f'hreflang="zh-hans" href="http://testserver/products/{product.slug}/"' in html
    assert f'hreflang="en" href="http://testserver/en/products/{product.slug}/"' in html
    assert '<meta property="og:title" content="秀山野生山茶油">' in html
    assert re.search(r'<meta property="og:image" content="http://testserver/[^"]+\.webp">', html)


def test_story_has_article_json_ld_and_opengraph(client, story_index):
    merchant = factories.make_merchant(name="贵措脐橙合作社")
    story = make_story(
        story_index,
        title="合作社+党员+农户 </script><script>alert(1)</script>",
        intro="3500亩脐橙",
        merchant=merchant,
        hero_image=make_image("脐橙园"),
    )

    html = client.get(f"/en{story.url}").content.decode()

    (data,) = json_ld(html)
    assert data["@type"] == "Article"
    assert data["headline"] == story.title  # escaped inside the script, intact once parsed
    assert data["about"]["name"] == "贵措脐橙合作社" and data["datePublished"] == "2026-10-01"
    assert "<script>alert(1)" not in html
    assert '<meta property="og:type" content="article">' in html
    assert re.search(r'<meta property="og:image" content="http://testserver/[^"]+">', html)
