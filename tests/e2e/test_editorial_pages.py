"""Editorial pages (demo content): axe-core finds no serious or critical accessibility problems, and a
reader can put a product in the cart from inside a story."""

import pytest

from tests.e2e.actions import serious_violations


@pytest.mark.parametrize(
    "path",
    [
        "/stories/",
        "/stories/aikou-tujia-brocade-weavers/",
        "/en/stories/guicuo-navel-orange-cooperative/",
        "/dezhou-flavour-zone/",
        "/counters/",
        "/about/",
        "/contact/",
        "/merchants/aikou-tujia-brocade-workshop/",
        "/search/?q=%E7%BB%87%E9%94%A6",
    ],
)
def test_editorial_pages_pass_axe(page, path):
    response = page.goto(path)
    assert response is not None and response.status == 200
    assert serious_violations(page) == []


def test_a_reader_adds_a_product_to_the_cart_from_a_story(page):
    page.goto("/stories/aikou-tujia-brocade-weavers/")
    page.locator(".product-block form.add-to-cart [type=submit]").first.click()
    page.wait_for_url("**/stories/aikou-tujia-brocade-weavers/")
    assert page.locator(".site-header .cart-count").inner_text() != "0"
