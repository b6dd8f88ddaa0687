"""axe-core finds no serious or critical accessibility problems on the shopper's main pages."""

import pytest

from tests.e2e.actions import serious_violations

PRODUCT = "/products/guicuo-navel-orange-gift-5kg/"


@pytest.mark.parametrize(
    "path", ["/", "/products/", "/products/?category=citrus&sort=price", PRODUCT, "/en/", "/en/products/"]
)
def test_catalogue_pages_pass_axe(page, path):
    page.goto(path)
    assert serious_violations(page) == []


def test_cart_and_checkout_pass_axe(page):
    page.goto(PRODUCT)
    page.locator("form[action$='/cart/add/'] [type=submit]").first.click()  # add to cart (then: buy now)
    page.goto("/cart/")
    assert page.locator("input[name=quantity]").count() >= 1
    assert serious_violations(page) == []
    page.goto("/checkout/")
    assert page.locator("input[name=name]").count() == 1
    assert serious_violations(page) == []
