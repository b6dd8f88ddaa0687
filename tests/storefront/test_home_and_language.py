import re
from urllib.parse import unquote

import pytest
from django.utils import translation
from django.views.defaults import server_error

from cms.models import HomePage, HomePageFeaturedProduct
from storefront.selectors import featured_refs
from tests import factories
from tests.fixtures.catalog import add_images, make_image
from tests.fixtures.http import card_names


@pytest.fixture
def home(db):
    return HomePage.objects.get(depth=2)


def test_home_page_shows_hero_and_newest_products_when_nothing_is_featured(client, home):
    older = factories.make_product(name="秀山土蜂蜜")
    newer = factories.make_product(name="贵措脐橙礼盒 5kg")
    factories.make_product(name="未上架商品", published=False)

    response = client.get("/en/")

    assert response.status_code == 200
    html = response.content.decode()
    assert home.hero_title in html
    assert card_names(response) == [newer.name, older.name]
    assert "未上架商品" not in html
    assert 'href="/en/products/"' in html


def test_home_page_pictures_are_webp_with_srcset_and_alt(client, home):
    home.hero_image = make_image("秀山脐橙园")
    home.save()
    add_images(factories.make_product(name="贵措脐橙礼盒 5kg"), 1)

    html = client.get("/").content.decode()

    images = re.findall(r"<img [^>]*>", html)
    assert len(images) == 2
    for tag in images:
        assert re.search(r'srcset="[^"]+\.webp \d+w, [^"]+\.webp \d+w"', tag)
    assert 'alt="秀山脐橙园"' in images[0]
    assert 'alt="贵措脐橙礼盒 5kg 图1"' in images[1]


def test_server_error_page_renders_without_a_request_context(rf):
    with translation.override("en"):
        response = server_error(rf.get("/"))
    assert response.status_code == 500
    assert "Something went wrong" in response.content.decode()


def test_home_page_prefers_products_marked_featured(client, home):
    factories.make_product(name="普通商品")
    marked = factories.make_product(name="秀山野生山茶油", is_featured=True)
    assert card_names(client.get("/")) == [marked.name]


def test_home_page_shows_the_editors_choice_in_their_order(client, home):
    factories.make_product(name="标记精选", is_featured=True)
    first = factories.make_product(name="土家织锦围巾")
    second = factories.make_product(name="秀山金银花茶")
    hidden = factories.make_product(name="下架商品", published=False)
    for order, product in enumerate([second, hidden, first]):
        HomePageFeaturedProduct.objects.create(page=home, product=product, sort_order=order)

    response = client.get("/")

    assert card_names(response) == ["秀山金银花茶", "土家织锦围巾"]
    html = response.content.decode()
    assert html.index("秀山金银花茶") < html.index("土家织锦围巾")
    assert "下架商品" not in html


def test_featured_refs_without_a_page_falls_back_to_newest(db):
    product = factories.make_product()
    assert featured_refs() == [(product.pk, product.merchant_id)]


def test_chinese_is_served_without_prefix_and_english_under_en(client, db):
    factories.make_product()
    zh = client.get("/products/").content.decode()
    en = client.get("/en/products/").content.decode()
    assert '<html lang="zh-hans">' in zh
    assert '<html lang="en">' in en
    assert '<html lang="zh-hans">' in client.get("/").content.decode()
    assert '<html lang="en">' in client.get("/en/").content.decode()


def switcher_next(html: str) -> str:
    form = html[html.index('class="language-switcher"') :]
    return re.search(r'name="next" value="([^"]*)"', form).group(1).replace("&amp;", "&")


@pytest.mark.parametrize(
    ("page", "language", "lands_on"),
    [
        ("/products/?q=%E8%84%90%E6%A9%99&sort=price_asc", "en", "/en/products/?q=脐橙&sort=price_asc"),
        ("/en/products/?q=%E8%84%90%E6%A9%99&sort=price_asc", "zh-hans", "/products/?q=脐橙&sort=price_asc"),
        ("/en/products/__slug__/", "zh-hans", "/products/__slug__/"),
        ("/products/__slug__/", "en", "/en/products/__slug__/"),
        ("/en/", "zh-hans", "/"),
        ("/", "en", "/en/"),
    ],
)
def test_language_switcher_keeps_the_page(client, db, page, language, lands_on):
    product = factories.make_product()
    page = page.replace("__slug__", product.slug)
    lands_on = lands_on.replace("__slug__", product.slug)
    html = client.get(page).content.decode()
    assert 'action="/i18n/setlang/"' in html
    assert re.search(r'<label for="language-select">', html)

    response = client.post("/i18n/setlang/", {"language": language, "next": switcher_next(html)})

    assert response.status_code == 302
    assert unquote(response.url) == lands_on
    target = client.get(response.url)
    assert target.status_code == 200
    assert f'<html lang="{language}">' in target.content.decode()


def test_page_has_skip_link_and_navigation(client, db):
    html = client.get("/en/products/").content.decode()
    assert '<a class="skip-link" href="#main">' in html
    assert '<main id="main"' in html
    assert 'href="/en/products/" aria-current="page"' in html
    assert "/static/storefront/css/site.css" in html
