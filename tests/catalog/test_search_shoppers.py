"""Search the way shoppers type: pinyin and initials, the operators' synonyms, partial words and typos."""

import importlib

import pytest
from django.apps import apps as django_apps
from django.db import connection
from django.test.utils import CaptureQueriesContext

from catalog.backoffice.search import SearchSynonymViewSet
from catalog.models import Product, SearchSynonym
from catalog.search import build_plan, pinyin_tokens, plan_search, product_search_text, query_groups, search
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def products(db):
    guicuo = factories.make_merchant("洪安镇贵措社区脐橙专业合作社")
    citrus = factories.make_category("柑橘水果")
    return {
        "gift": factories.make_product(guicuo, category=citrus, name="贵措脐橙礼盒 5kg"),
        "jam": factories.make_product(guicuo, category=factories.make_category("果酱"), name="脐橙果酱"),
        "ponkan": factories.make_product(name="秀山椪柑", category=citrus),
        "oil": factories.make_product(name="秀山野生山茶油", summary="冷榨一级，500ml"),
        "honey": factories.make_product(name="秀山土蜂蜜"),
        "cherry_tomato": factories.make_product(name="圣女果"),
    }


def names(query) -> set[str]:
    return set(search(Product.objects.all(), query).values_list("name", flat=True))


NAVEL_ORANGES = {"贵措脐橙礼盒 5kg", "脐橙果酱"}


@pytest.mark.parametrize("query", ["qicheng", "QiCheng", "qi cheng", "qc", "QC", "脐橙"])
def test_navel_oranges_are_found_by_pinyin_and_initials(products, query):
    assert names(query) == NAVEL_ORANGES


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("shanchayou", {"秀山野生山茶油"}),  # a word of the name
        ("xiushan fengmi", {"秀山土蜂蜜"}),  # two words, each in pinyin
        ("guicuoqichenglihe", {"贵措脐橙礼盒 5kg"}),  # the whole name
        ("hezuoshe", NAVEL_ORANGES),  # the merchant's name
        ("shengnvguo", {"圣女果"}),  # ü typed as v
    ],
)
def test_names_are_stored_in_pinyin(products, query, expected):
    assert names(query) == expected


def test_only_names_are_spelled_out_not_summaries(products):
    assert names("冷榨") == {"秀山野生山茶油"}
    assert names("lengzha") == set()


def test_initials_are_not_made_across_word_boundaries():
    tokens = pinyin_tokens("官庄街道")
    assert {"guanzhuang", "gz", "jiedao", "jd", "zhuangjie"} <= set(tokens)
    assert "zj" not in tokens  # 庄街 spans two words: no one types its initials


def test_stored_text_is_the_same_whatever_language_saved_the_product(products):
    from django.utils import translation

    product = Product.objects.select_related("merchant", "category").get(pk=products["gift"].pk)
    with translation.override("en"):
        english = product_search_text(product)
    with translation.override("zh-hans"):
        chinese = product_search_text(product)
    assert english == chinese == product.search_text
    assert " 洪安镇 " in chinese


def test_a_word_with_synonyms_finds_what_they_find_until_they_are_removed(products):
    assert names("橙子") == set()
    synonym = SearchSynonym.objects.create(word="橙子", synonyms="脐橙 柑橘")

    assert names("橙子") == {*NAVEL_ORANGES, "秀山椪柑"}  # 柑橘 is the category of the gift box and the ponkans
    assert names("橙子 礼盒") == {"贵措脐橙礼盒 5kg"}  # and the other words still apply
    assert names("脐橙") == NAVEL_ORANGES  # one way: a synonym does not find its word's products

    synonym.delete()
    assert names("橙子") == set()


def test_a_synonym_word_that_segments_into_several_words_stands_for_all_of_them(products):
    SearchSynonym.objects.create(word="小番茄", synonyms="圣女果")
    assert plan_search("小番茄").synonyms == {"小番茄": ("圣女果",)}
    assert names("小番茄") == {"圣女果"}
    assert names("小番茄 秀山") == set()


def test_a_search_reads_the_synonyms_of_its_words_in_one_query(products, django_assert_num_queries):
    SearchSynonym.objects.create(word="橙子", synonyms="脐橙")
    with django_assert_num_queries(2):  # the synonyms, the search
        assert len(list(search(Product.objects.all(), "新鲜 橙子 礼盒"))) == 0
    with django_assert_num_queries(0):
        assert not plan_search("  ")


def test_one_word_with_alternatives_is_not_ranked_row_by_row(products):
    SearchSynonym.objects.create(word="橙子", synonyms="脐橙 柑橘")
    assert "ts_rank" not in str(search(Product.objects.all(), "橙子").query)
    assert "ts_rank" not in str(search(Product.objects.all(), "qi cheng").query)
    assert "ts_rank" in str(search(Product.objects.all(), "橙子 礼盒").query)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("qich", NAVEL_ORANGES),  # a word being typed
        ("qi ch", NAVEL_ORANGES),
        ("guicuoq", {"贵措脐橙礼盒 5kg"}),
        ("脐", NAVEL_ORANGES),
        ("shanchay", {"秀山野生山茶油"}),
    ],
)
def test_partial_words_match_while_typing(products, typed, expected):
    assert names(plan_search(typed, prefix=True)) == expected


def test_a_finished_search_wants_whole_words(products):
    assert names("qich") == set()


@pytest.mark.parametrize(
    ("typo", "expected"),
    [
        ("脐澄", NAVEL_ORANGES),  # a homophone from the pinyin keyboard
        ("qichegn", NAVEL_ORANGES),  # letters swapped at the end
        ("七城", NAVEL_ORANGES),  # same sound, other characters
    ],
)
def test_the_fuzzy_second_try_forgives_cheap_typos(products, typo, expected):
    assert names(typo) == set()
    assert names(plan_search(typo, prefix=True, fuzzy=True)) == expected


@pytest.mark.parametrize("query", ["脐橙礼盒", "山茶油", "秀山 蜂蜜", "5kg"])
def test_plans_of_plain_queries_are_the_word_groups_as_before(query):
    assert build_plan(query).clauses == tuple((tuple(group),) for group in query_groups(query))


def test_plans_of_latin_words_also_try_them_joined():
    assert build_plan("qi cheng").clauses == ((("qi", "cheng"), ("qicheng",)),)
    assert build_plan("qi ch", prefix=True).clauses == ((("qi", "ch*"), ("qich*",)),)
    assert build_plan("qi ch ", prefix=True).clauses == ((("qi", "ch"), ("qich",)),)


def test_the_search_vector_stays_in_the_row():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT attstorage FROM pg_attribute "
            "WHERE attrelid = 'catalog_product'::regclass AND attname = 'search_vector'"
        )
        assert cursor.fetchone() == ("m",)


def test_the_migration_rebuilds_existing_products_search_text(products):
    migration = importlib.import_module("catalog.migrations.0009_search_text_in_pinyin")
    Product.objects.update(search_text=" 脐橙 ")  # as before pinyin (and then some)
    assert names("qicheng") == set()

    with connection.schema_editor() as editor, CaptureQueriesContext(connection) as queries:
        migration.rebuild_search_text(django_apps, editor)

    assert names("qicheng") == NAVEL_ORANGES
    assert names("秀山") == {"秀山椪柑", "秀山野生山茶油", "秀山土蜂蜜"}
    assert len(queries) < 10  # a read and one bulk update per batch, not a query per product


def synonym_form(**kwargs):
    """The back office's form for a synonym, as its screens build it."""
    form_class = SearchSynonymViewSet.edit_handler.bind_to_model(SearchSynonym).get_form_class()
    return form_class(**kwargs)


@pytest.mark.parametrize(
    ("word", "synonyms", "cleaned"),
    [
        (" 橙子 ", "脐橙，柑橘、 脐橙；橙子 ", ("橙子", "脐橙 柑橘")),
        ("Orange", "Navel, QiCheng", ("orange", "navel qicheng")),
    ],
)
def test_the_form_tidies_what_operators_type(db, word, synonyms, cleaned):
    form = synonym_form(data={"word": word, "synonyms": synonyms}, instance=SearchSynonym())
    assert form.is_valid(), form.errors
    row = form.save()
    assert (row.word, row.synonyms) == cleaned


@pytest.mark.parametrize(("word", "synonyms"), [("橙子", "橙子"), ("！？", "脐橙"), ("橙子", " ，、 ")])
def test_the_form_refuses_words_that_would_search_nothing(db, word, synonyms):
    form = synonym_form(data={"word": word, "synonyms": synonyms}, instance=SearchSynonym())
    assert not form.is_valid()
