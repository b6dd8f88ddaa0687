import pytest
from django.db import connection

from catalog.models import Product
from catalog.search import (
    ONE_LEXEME_RANK,
    _tsquery,
    build_search_text,
    index_tokens,
    query_groups,
    search,
    stored_vector,
)
from cms.models import StoryPage
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


def test_products_are_matched_and_ranked_on_their_stored_vector(products):
    found = search(Product.objects.all(), "秀山 蜂蜜")
    sql = str(found.query)
    assert '"catalog_product"."search_vector" @@' in sql
    assert "to_tsvector" not in sql  # no row's text is parsed again


@pytest.mark.parametrize("query", ["秀山", "油", "5kg", "秀山 蜂蜜", "脐橙礼盒", "冷榨 茶油", "山茶油"])
def test_ranks_are_exactly_those_of_the_text(products, query):
    ranked = search(Product.objects.all(), query)
    assert ranked.exists()
    with connection.cursor() as cursor:
        for product in ranked:
            cursor.execute(
                "SELECT ts_rank(to_tsvector('simple', search_text), to_tsquery('simple', %s)) "
                "FROM catalog_product WHERE id = %s",
                [_tsquery(query_groups(query)), product.pk],
            )
            assert cursor.fetchone()[0] == product.search_rank


def test_a_one_lexeme_query_is_ordered_without_ranking_each_row(products):
    ranked = search(Product.objects.all(), "秀山").order_by("-search_rank", "-created_at", "-pk")
    assert "ts_rank" not in str(ranked.query)
    assert [p.search_rank for p in ranked] == [ONE_LEXEME_RANK, ONE_LEXEME_RANK]
    assert "ts_rank" in str(search(Product.objects.all(), "秀山 蜂蜜").query)


def test_every_stored_token_is_one_lexeme_at_one_position(db):
    text = build_search_text("秀山㐀丽豐豈 野生 山茶油 500ml x86 2024年 ＡＢＣ 一级", "洪安镇", "粮油")
    product = factories.make_product(name="tokens")
    Product.objects.filter(pk=product.pk).update(search_text=text)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT lexeme, array_length(positions, 1) FROM catalog_product, unnest(search_vector) WHERE id = %s",
            [product.pk],
        )
        lexemes = dict(cursor.fetchall())
    assert set(lexemes) == set(text.split())
    assert set(lexemes.values()) == {1}


def test_the_stored_vector_follows_every_write_of_search_text(db):
    merchant, category = factories.make_merchant(), factories.make_category()
    (bulk,) = Product.objects.bulk_create(
        [
            Product(
                merchant=merchant, category=category, name="x", slug="bulk", search_text=build_search_text("酉阳茶叶")
            )
        ]
    )
    assert names(search(Product.objects.all(), "茶叶")) == {"x"}

    Product.objects.filter(pk=bulk.pk).update(search_text=build_search_text("酉阳花椒"))
    assert names(search(Product.objects.all(), "花椒")) == {"x"}
    assert not search(Product.objects.all(), "茶叶").exists()


def test_the_search_index_covers_the_stored_vector_without_a_pending_list(db):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexdef, reloptions FROM pg_indexes JOIN pg_class ON pg_class.relname = indexname "
            "WHERE tablename = 'catalog_product' AND indexdef LIKE '%%USING gin%%'"
        )
        indexes = cursor.fetchall()
    assert [(definition.split(" USING ")[1], options) for definition, options in indexes] == [
        ("gin (search_vector) WITH (fastupdate=off)", ["fastupdate=off"])
    ]


def test_models_without_a_stored_vector_are_searched_on_the_expression():
    assert stored_vector(Product, "search_text") == "search_vector"
    assert stored_vector(StoryPage, "search_text") is None
    assert stored_vector(Product, "name") is None
