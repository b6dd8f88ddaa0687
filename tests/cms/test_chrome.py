"""The header, footer and tab bar are rendered once per language, menu and current link (``cms.chrome``): every
page must still mark its own link as current, show its own search words and language switcher target, and the
visitor's own CSRF token, cart and account links, never those of the page or visitor rendered before."""

import re
from html import unescape

from django.test import Client

from cms.models import StoryIndexPage
from orders.models import Cart
from tests import factories

CURRENT = re.compile(r'<a (?:class="[^"]*" )?href="([^"]+)" aria-current="page"')


def current_links(html: str) -> list[str]:
    return CURRENT.findall(html)


def header(html: str) -> str:
    return html[html.index('<header class="site-header">') : html.index("</header>")]


def switcher_next(html: str) -> str:
    return unescape(re.search(r'<input type="hidden" name="next" value="([^"]*)"', html).group(1))


def test_each_page_marks_its_own_link_as_current(client, story_index):
    products = client.get("/products/").content.decode()
    stories = client.get("/stories/").content.decode()
    home = client.get("/").content.decode()
    packs = client.get("/packs/").content.decode()
    again = client.get("/products/").content.decode()

    assert set(current_links(products)) == {"/products/"} and set(current_links(again)) == {"/products/"}
    assert current_links(stories) == ["/stories/"]  # the menu's entry for this page
    assert set(current_links(home)) == {"/"}  # the header's and the tab bar's home links
    assert current_links(packs) == ["/packs/"]
    for html in (products, stories, home, packs):  # the parts' own comments never reach the page
        assert "{#" not in html and "{% comment" not in html and "cms.chrome" not in html


def test_the_menu_follows_a_new_page_at_once(client, home):
    assert "商户故事" not in header(client.get("/products/").content.decode())
    index = StoryIndexPage(title="商户故事", slug="stories", show_in_menus=True)
    home.add_child(instance=index)
    index.save_revision().publish()

    assert '<a href="/stories/">商户故事</a>' in header(client.get("/products/").content.decode())


def test_the_search_box_shows_this_pages_words_escaped(client, db):
    first = client.get("/en/products/", {"q": "茶油"}).content.decode()
    second = client.get("/en/products/", {"q": '"><script>alert(1)</script>'}).content.decode()
    plain = client.get("/en/products/").content.decode()

    assert 'name="q" value="茶油"' in header(first)
    assert 'value="&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"' in header(second)
    assert "<script>alert(1)" not in second
    assert re.search(r'name="q" value=""', header(plain))
    holes = client.get("/en/products/", {"q": "__dx_next__ __dx_csrf__"}).content.decode()
    assert 'name="q" value="__dx_next__ __dx_csrf__"' in header(holes)  # shown as typed, never filled in


def test_the_language_switcher_returns_to_this_page(client, db):
    product = factories.make_product(name="秀山土蜂蜜")
    assert switcher_next(client.get("/en/products/?sort=price").content.decode()) == "/products/?sort=price"
    assert switcher_next(client.get(f"/en/products/{product.slug}/").content.decode()) == (f"/products/{product.slug}/")


def test_each_visitor_gets_their_own_token_cart_and_account_links(db):
    shopper = factories.make_user("shopper")
    variant = factories.make_product(name="秀山土蜂蜜").variants.get()
    anonymous, signed_in = Client(enforce_csrf_checks=True), Client()
    signed_in.force_login(shopper)
    cart = Cart.objects.create(user=shopper)
    cart.lines.create(variant=variant, quantity=3)

    theirs = signed_in.get("/en/products/").content.decode()
    plain = anonymous.get("/en/products/").content.decode()

    assert "My orders" in header(theirs) and "Log out" in header(theirs)
    assert 'class="cart-count" aria-hidden="true">3<' in theirs
    assert "My orders" not in plain and "Log in" in header(plain)
    assert 'class="cart-count" aria-hidden="true">0<' in plain
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', header(plain)).group(1)
    # The switcher's token is this visitor's: posting it with their cookie is accepted.
    response = anonymous.post("/i18n/setlang/", {"csrfmiddlewaretoken": token, "language": "zh-hans", "next": "/"})
    assert response.status_code == 302
