import pytest

from catalog.models import Product
from catalog.search import index_tokens, query_groups, search
from tests import factories


@pytest.fixture
def products(db):
    merchant = factories.make_merchant("洪安镇贵措社区脐橙专业合作社")
    return {
        "orange": factories.make_product(merchant, name="贵措脐橙礼盒 5kg"),
        "oil": factories.make_product(name="秀山野生山茶油", summary="冷榨一级，500ml"),
        "brocade": factories.make_product(name="土家织锦围巾"),
        "honey": factories.make_product(name="秀山土蜂蜜"),
    }


def names(queryset) -> set[str]:
    return set(queryset.values_list("name", flat=True))


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("脐橙", {"贵措脐橙礼盒 5kg"}),
        ("茶油", {"秀山野生山茶油"}),
        ("织锦", {"土家织锦围巾"}),
        ("秀山", {"秀山野生山茶油", "秀山土蜂蜜"}),
        ("5KG", {"贵措脐橙礼盒 5kg"}),
        ("合作社", {"贵措脐橙礼盒 5kg"}),  # found through the merchant's name
        ("秀山 蜂蜜", {"秀山土蜂蜜"}),  # every word must match
        ("冷榨", {"秀山野生山茶油"}),  # found in the summary
    ],
)
def test_finds_chinese_words_inside_longer_text(products, query, expected):
    assert names(search(Product.objects.all(), query)) == expected


def test_absent_and_empty_queries_find_nothing(products):
    assert not search(Product.objects.all(), "榴莲").exists()
    assert not search(Product.objects.all(), "  ").exists()
    assert not search(Product.objects.all(), "'); drop table x; --").exists()


def test_renaming_a_product_updates_what_finds_it(products):
    honey = products["honey"]
    honey.name = "秀山百花蜜"
    honey.save()

    assert names(search(Product.objects.all(), "百花")) == {"秀山百花蜜"}
    assert not search(Product.objects.all(), "土蜂蜜").exists()


def test_search_ranks_on_postgresql(products):
    ranked = search(Product.objects.all(), "秀山").order_by("-search_rank")
    assert all(p.search_rank > 0 for p in ranked)


def test_tokens_cover_words_characters_and_pairs():
    tokens = index_tokens("秀山野生山茶油")
    assert {"秀山", "茶油", "山茶油", "油", "野生"} <= set(tokens)
    groups = query_groups("脐橙礼盒")
    assert ["脐橙"] in groups and ["礼盒"] in groups
