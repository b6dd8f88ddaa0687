"""``{% fixed_url %}`` gives what ``{% url %}`` gives, in each language, working each address out once."""

from unittest import mock

import pytest
from django.template import Context, Template
from django.utils import translation

from core.templatetags import links


def render(source: str) -> str:
    return Template("{% load links %}" + source).render(Context())


@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize(
    "arguments", ["'storefront:product_list'", "'wagtail_serve' ''", "'set_language'", "'storefront:order_history'"]
)
def test_the_address_is_the_one_url_gives_in_each_language(db, language, arguments):
    with translation.override(language):
        assert render(f"{{% fixed_url {arguments} %}}") == render(f"{{% url {arguments} %}}")


def test_the_languages_get_their_own_addresses_each_worked_out_once(db):
    links._urls.clear()
    with mock.patch.object(links, "reverse", wraps=links.reverse) as reverse:
        with translation.override("en"):
            english = [render("{% fixed_url 'storefront:product_list' %}") for _ in range(3)]
        with translation.override("zh-hans"):
            chinese = [render("{% fixed_url 'storefront:product_list' %}") for _ in range(3)]
    assert english == ["/en/products/"] * 3
    assert chinese == ["/products/"] * 3
    assert reverse.call_count == 2


def test_past_the_limit_addresses_are_worked_out_each_time_not_kept(db, monkeypatch):
    monkeypatch.setattr(links, "KEPT_URLS", 0)
    links._urls.clear()
    assert render("{% fixed_url 'storefront:cart' %}") == render("{% url 'storefront:cart' %}")
    assert links._urls == {}
