"""Products in the back office: merchant A's user can neither see nor change merchant B's products,
in any view Wagtail builds; positive controls show the same requests work on A's own product."""

import csv
import io
from types import SimpleNamespace

import openpyxl
import pytest
from django.db.models.deletion import ProtectedError
from django.http import Http404
from modelcluster.forms import BaseChildFormSet
from wagtail.models import ModelLogEntry
from wagtail.test.utils.form_data import inline_formset, nested_form_data, querydict_from_html, rich_text

from catalog.certificates import qualifying_certificate, quality_marks
from catalog.forms import VariantFormSet
from catalog.models import Certificate, Product, StockMovement, Variant
from catalog.wagtail_hooks import refuse_bulk_actions_outside_scope
from tests import factories
from tests.catalog.admin_world import CHOOSER, PRODUCT, url


@pytest.fixture
def as_alice(client, world):
    client.force_login(world.alice)
    return client


def edit_form_data(client, product):
    """The edit form of ``product`` as its browser would post it back."""
    response = client.get(url(f"{PRODUCT}:edit", product.pk))
    assert response.status_code == 200
    return querydict_from_html(response.content.decode(), form_id="w-editor-form")


def new_product_data(merchant, category, *, name="红安新茶油", slug="hongan-new-oil", sku="HA-NEW-500", price="128.00"):
    return nested_form_data(
        {
            "merchant": merchant.pk,
            "category": category.pk,
            "name": name,
            "slug": slug,
            "summary": "",
            "description": rich_text(""),
            "origin": "秀山红安",
            "low_stock_threshold": "5",
            "season_start_month": "",
            "season_end_month": "",
            "shelf_life_days": "",
            "variants": inline_formset(
                [
                    {
                        "sku": sku,
                        "name": "500ml",
                        "price": price,
                        "compare_at_price": "",
                        "weight_grams": "500",
                        "is_active": "on",
                    }
                ],
                min=1,
            ),
            "images": inline_formset([]),
        }
    )


# -- Listing, search and export ----------------------------------------------------------


def test_listing_shows_only_own_products(as_alice, world):
    response = as_alice.get(url(f"{PRODUCT}:list"))

    assert response.status_code == 200
    assert list(response.context["object_list"]) == [world.product_a]
    assert world.product_b.name not in response.content.decode()


def test_listing_search_finds_own_products_but_never_others(as_alice, world):
    own = as_alice.get(url(f"{PRODUCT}:list"), {"q": "茶油"})
    other = as_alice.get(url(f"{PRODUCT}:list"), {"q": "脐橙"})
    by_sku = as_alice.get(url(f"{PRODUCT}:list_results"), {"q": world.variant_b.sku})

    assert list(own.context["object_list"]) == [world.product_a]
    assert list(other.context["object_list"]) == []
    assert list(by_sku.context["object_list"]) == []


def test_listing_filter_offers_only_own_merchants(as_alice, world):
    response = as_alice.get(url(f"{PRODUCT}:list"), {"merchant": world.merchant_b.pk})

    choices = list(response.context["filters"].form.fields["merchant"].queryset)
    assert choices == [world.merchant_a]
    assert world.merchant_b.name not in response.content.decode()
    assert world.product_b not in response.context["object_list"]


def test_operator_sees_and_finds_every_product(client, world):
    client.force_login(world.operator)

    listing = client.get(url(f"{PRODUCT}:list"))
    search = client.get(url(f"{PRODUCT}:list"), {"q": "脐橙"})

    assert set(listing.context["object_list"]) == {world.product_a, world.product_b}
    assert list(search.context["object_list"]) == [world.product_b]


def test_csv_export_contains_only_own_products(as_alice, world):
    response = as_alice.get(url(f"{PRODUCT}:list"), {"export": "csv"})

    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    names = [row[0] for row in csv.reader(io.StringIO(text))][1:]
    assert names == [world.product_a.name]


def test_xlsx_export_contains_only_own_products(as_alice, world):
    response = as_alice.get(url(f"{PRODUCT}:list"), {"export": "xlsx"})

    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    names = [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert names == [world.product_a.name]


# -- Views of one object -----------------------------------------------------------------


@pytest.mark.parametrize("view", ["edit", "delete", "copy", "inspect", "history", "history_results", "usage"])
def test_views_of_another_merchants_product_are_not_found(as_alice, world, view):
    response = as_alice.get(url(f"{PRODUCT}:{view}", world.product_b.pk))

    assert response.status_code == 404
    assert world.product_b.name not in response.content.decode()


@pytest.mark.parametrize("view", ["edit", "delete", "copy", "inspect", "history", "usage"])
def test_views_of_own_product_work(as_alice, world, view):
    response = as_alice.get(url(f"{PRODUCT}:{view}", world.product_a.pk))

    assert response.status_code == 200
    assert world.product_a.name in response.content.decode()


@pytest.mark.parametrize("pk", ["99999999", "99999999999999999999999"])
def test_unknown_or_absurd_ids_are_not_found(as_alice, pk):
    assert as_alice.get(f"/admin/snippets/catalog/product/edit/{pk}/").status_code == 404


def test_editing_another_merchants_product_by_post_is_refused(client, world):
    client.force_login(world.bob)
    data = edit_form_data(client, world.product_b)
    data["name"] = "被篡改"
    client.force_login(world.alice)

    response = client.post(url(f"{PRODUCT}:edit", world.product_b.pk), data)

    assert response.status_code == 404
    world.product_b.refresh_from_db()
    assert world.product_b.name == "贵措脐橙十斤装"


def test_editing_own_product_works(as_alice, world):
    data = edit_form_data(as_alice, world.product_a)
    data["name"] = "红安山茶油（新包装）"

    response = as_alice.post(url(f"{PRODUCT}:edit", world.product_a.pk), data)

    assert response.status_code == 302
    world.product_a.refresh_from_db()
    assert world.product_a.name == "红安山茶油（新包装）"


def test_moving_own_product_to_another_merchant_is_refused(as_alice, world):
    data = edit_form_data(as_alice, world.product_a)
    data["merchant"] = str(world.merchant_b.pk)

    response = as_alice.post(url(f"{PRODUCT}:edit", world.product_a.pk), data)

    assert response.status_code == 200
    assert "merchant" in response.context["form"].errors
    world.product_a.refresh_from_db()
    assert world.product_a.merchant == world.merchant_a


def test_deleting_another_merchants_product_by_post_is_refused(as_alice, world):
    response = as_alice.post(url(f"{PRODUCT}:delete", world.product_b.pk))

    assert response.status_code == 404
    assert Product.objects.filter(pk=world.product_b.pk).exists()


def test_copying_another_merchants_product_by_post_creates_nothing(as_alice, world):
    data = new_product_data(world.merchant_a, world.product_a.category, slug="copy-attempt", sku="COPY-1")

    response = as_alice.post(url(f"{PRODUCT}:copy", world.product_b.pk), data)

    assert response.status_code == 404
    assert not Product.objects.filter(slug="copy-attempt").exists()
    world.product_b.refresh_from_db()
    assert world.product_b.merchant == world.merchant_b


def test_deleting_own_product_without_stock_works(as_alice, world):
    product = factories.make_product(world.merchant_a, name="无库存产品")

    response = as_alice.post(url(f"{PRODUCT}:delete", product.pk))

    assert response.status_code == 302
    assert not Product.objects.filter(pk=product.pk).exists()


def test_deleting_a_product_with_stock_history_is_explained_not_a_server_error(as_alice, world):
    with pytest.raises(ProtectedError):  # what the view has to cope with
        Product.objects.filter(pk=world.product_a.pk).delete()

    response = as_alice.post(url(f"{PRODUCT}:delete", world.product_a.pk), follow=True)

    assert response.status_code == 200
    assert "Unpublish it instead" in response.content.decode()
    assert Product.objects.filter(pk=world.product_a.pk).exists()


def test_removing_a_variant_with_stock_is_refused_with_a_message(as_alice, world):
    stocked = world.variant_a
    Variant.objects.create(product=world.product_a, sku="HA-SPARE", name="备用规格", price=900, sort_order=1)
    data = edit_form_data(as_alice, world.product_a)
    assert data["variants-0-id"] == str(stocked.pk)
    data["variants-0-DELETE"] = "on"

    response = as_alice.post(url(f"{PRODUCT}:edit", world.product_a.pk), data)

    assert response.status_code == 200
    assert "cannot be removed" in response.content.decode()
    assert Variant.objects.filter(pk=stocked.pk).exists()


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"variants-0-price": "0"}, "The price must be more than zero."),
        ({"variants-0-compare_at_price": "9.00"}, "The compare-at price must be higher than the price."),
        ({"season_start_month": "11"}, "Give both the first and the last month of the season, or neither."),
        ({"season_start_month": "13", "season_end_month": "2"}, "Ensure this value is less than or equal to 12."),
    ],
)
def test_invalid_product_data_is_a_form_error(as_alice, world, changes, message):
    data = edit_form_data(as_alice, world.product_a)
    data.update(changes)
    data["name"] = "不应保存的新名"

    response = as_alice.post(url(f"{PRODUCT}:edit", world.product_a.pk), data)

    assert response.status_code == 200
    assert message in response.content.decode()
    world.product_a.refresh_from_db()
    assert world.product_a.name == "红安山茶油礼盒"
    assert world.product_a.variants.get().price == 1000


def test_history_lists_own_edits(as_alice, world):
    data = edit_form_data(as_alice, world.product_a)
    as_alice.post(url(f"{PRODUCT}:edit", world.product_a.pk), data)

    response = as_alice.get(url(f"{PRODUCT}:history", world.product_a.pk))

    assert response.status_code == 200
    assert ModelLogEntry.objects.filter(object_id=str(world.product_a.pk), action="wagtail.edit").exists()
    assert len(response.context["object_list"]) == 1


# -- Create ------------------------------------------------------------------------------


def test_create_form_preselects_the_users_only_merchant(as_alice, world):
    response = as_alice.get(url(f"{PRODUCT}:add"))

    field = response.context["form"]["merchant"]
    assert list(field.field.queryset) == [world.merchant_a]
    assert field.value() == world.merchant_a.pk


def test_create_for_another_merchant_is_refused(as_alice, world):
    data = new_product_data(world.merchant_b, world.product_a.category)

    response = as_alice.post(url(f"{PRODUCT}:add"), data)

    assert response.status_code == 200
    assert "merchant" in response.context["form"].errors
    assert not Product.objects.filter(slug="hongan-new-oil").exists()


def test_create_for_own_merchant_works(as_alice, world):
    data = new_product_data(world.merchant_a, world.product_a.category)

    response = as_alice.post(url(f"{PRODUCT}:add"), data)

    assert response.status_code == 302
    product = Product.objects.get(slug="hongan-new-oil")
    assert product.merchant == world.merchant_a
    assert list(product.variants.values_list("sku", "price")) == [("HA-NEW-500", 12800)]


def test_create_with_an_existing_sku_is_a_form_error(as_alice, world):
    data = new_product_data(world.merchant_a, world.product_a.category, sku=world.variant_b.sku)

    response = as_alice.post(url(f"{PRODUCT}:add"), data)

    assert response.status_code == 200
    assert not Product.objects.filter(slug="hongan-new-oil").exists()


def sku_errors(response) -> list[tuple[str, str]]:
    """(code, text) of each SKU error (the text in the page's language, which the test does not pin)."""
    formset = response.context["form"].formsets["variants"]
    return [
        (error.code, " ".join(error.messages))
        for form in formset.forms
        for error in form.errors.as_data().get("sku", [])
    ]


def test_taken_sku_does_not_reveal_whether_another_merchant_uses_it(as_alice, world):
    own_sku = factories.make_product(world.merchant_a, name="红安茶籽").variants.get().sku
    others = as_alice.post(
        url(f"{PRODUCT}:add"), new_product_data(world.merchant_a, world.product_a.category, sku=world.variant_b.sku)
    )
    own = as_alice.post(
        url(f"{PRODUCT}:add"),
        new_product_data(world.merchant_a, world.product_a.category, slug="hongan-other", sku=own_sku),
    )

    assert others.status_code == own.status_code == 200
    assert sku_errors(others) == sku_errors(own)
    assert [code for code, _ in sku_errors(others)] == ["sku_unavailable"]
    assert "already exists" not in others.content.decode()
    assert not Product.objects.filter(slug__in=["hongan-new-oil", "hongan-other"]).exists()


def test_editing_a_variant_to_another_merchants_sku_is_the_same_generic_error(as_alice, world):
    data = edit_form_data(as_alice, world.product_a)
    data["variants-0-sku"] = world.variant_b.sku

    response = as_alice.post(url(f"{PRODUCT}:edit", world.product_a.pk), data)

    assert response.status_code == 200
    assert [code for code, _ in sku_errors(response)] == ["sku_unavailable"]
    assert "already exists" not in response.content.decode()
    assert world.variant_a.sku != world.variant_b.sku


def test_keeping_its_own_sku_is_fine(as_alice, world):
    data = edit_form_data(as_alice, world.product_a)

    assert as_alice.post(url(f"{PRODUCT}:edit", world.product_a.pk), data).status_code == 302


def test_only_operators_may_feature_a_product(as_alice, client, world):
    assert "is_featured" not in as_alice.get(url(f"{PRODUCT}:add")).context["form"].fields
    client.force_login(world.operator)
    assert "is_featured" in client.get(url(f"{PRODUCT}:add")).context["form"].fields


CRAFTED_MARKS = {
    "organic": "on",
    "green_food": "on",
    "geographical_indication": "on",
    "aid_certificate_number": "FAKE-0001",
    "aid_certificate_issuer": "自封",
    "aid_certificate_valid_until": "2099-12-31",
}


def marks_of(product) -> tuple:
    """The product's quality marks and aid certificate as the shop reads them (certificate records)."""
    product.refresh_from_db()
    certificate = qualifying_certificate(product)
    return (sorted(quality_marks(product)), certificate and certificate.number, Certificate.objects.count())


def test_merchant_form_has_no_marks_or_aid_certificate(as_alice, world):
    fields = as_alice.get(url(f"{PRODUCT}:edit", world.product_a.pk)).context["form"].fields

    assert not set(CRAFTED_MARKS) & set(fields)


def test_merchant_posting_marks_and_certificate_changes_nothing(as_alice, world):
    before = marks_of(world.product_a)
    data = edit_form_data(as_alice, world.product_a)
    data.update(CRAFTED_MARKS)
    data["name"] = "红安山茶油礼盒（新）"

    response = as_alice.post(url(f"{PRODUCT}:edit", world.product_a.pk), data)

    assert response.status_code == 302
    assert marks_of(world.product_a) == before == ([], None, 0)
    assert world.product_a.name == "红安山茶油礼盒（新）"  # the rest of the form was saved


def test_merchant_creating_a_product_with_marks_gets_none(as_alice, world):
    data = new_product_data(world.merchant_a, world.product_a.category)
    data.update(CRAFTED_MARKS)

    response = as_alice.post(url(f"{PRODUCT}:add"), data)

    assert response.status_code == 302
    assert marks_of(Product.objects.get(slug="hongan-new-oil")) == ([], None, 0)


def test_the_product_form_has_no_marks_or_certificate_even_for_operators(client, world):
    """Operators grant certificates as records (the certificates screens), with their history."""
    client.force_login(world.operator)
    fields = client.get(url(f"{PRODUCT}:edit", world.product_a.pk)).context["form"].fields

    assert not set(CRAFTED_MARKS) & set(fields)


# -- Bulk delete -------------------------------------------------------------------------


def bulk_delete_url(*ids) -> str:
    query = "&".join(f"id={i}" for i in ids)
    return f"/admin/bulk/catalog/product/delete/?next=/admin/&{query}"


def test_bulk_delete_of_another_merchants_product_is_refused(as_alice, world):
    page = as_alice.get(bulk_delete_url(world.product_b.pk))
    posted = as_alice.post(bulk_delete_url(world.product_b.pk))

    assert page.status_code == 404
    assert posted.status_code == 404
    assert Product.objects.filter(pk=world.product_b.pk).exists()


def test_bulk_delete_mixing_own_and_others_deletes_only_own(as_alice, world):
    own = factories.make_product(world.merchant_a, name="可删除产品")

    page = as_alice.get(bulk_delete_url(own.pk, world.product_b.pk))
    as_alice.post(bulk_delete_url(own.pk, world.product_b.pk))

    assert world.product_b.name not in page.content.decode()
    assert not Product.objects.filter(pk=own.pk).exists()
    assert Product.objects.filter(pk=world.product_b.pk).exists()


def test_bulk_delete_all_deletes_only_own_deletable_products(as_alice, world):
    own = factories.make_product(world.merchant_a, name="可删除产品")
    other = factories.make_product(world.merchant_b, name="别家无库存产品")

    page = as_alice.get(bulk_delete_url("all"))
    as_alice.post(bulk_delete_url("all"))

    assert other.name not in page.content.decode()
    assert Product.objects.filter(pk__in=[other.pk, world.product_b.pk]).count() == 2
    # Own product with stock history cannot go; nothing of the batch was deleted and it says why.
    assert Product.objects.filter(pk__in=[own.pk, world.product_a.pk]).count() == 2


def test_bulk_delete_of_own_products_without_stock_works(as_alice, world):
    own = [factories.make_product(world.merchant_a) for _ in range(2)]

    response = as_alice.post(bulk_delete_url(*(p.pk for p in own)))

    assert response.status_code == 302
    assert not Product.objects.filter(pk__in=[p.pk for p in own]).exists()


def test_bulk_delete_with_stock_history_gives_a_message(as_alice, world):
    response = as_alice.post(bulk_delete_url(world.product_a.pk), follow=True)

    assert response.status_code == 200
    assert "Nothing was deleted" in response.content.decode()
    assert Product.objects.filter(pk=world.product_a.pk).exists()


def test_bulk_delete_ignores_garbage_ids(as_alice, world):
    assert as_alice.get(bulk_delete_url("abc", "1e9")).status_code == 404


# -- Chooser -----------------------------------------------------------------------------


def chooser_html(client, view="choose", **params) -> str:
    response = client.get(url(f"{CHOOSER}:{view}"), params)
    assert response.status_code == 200
    if response["Content-Type"].startswith("application/json"):  # the modal; results come as plain HTML
        return response.json()["html"]
    return response.content.decode()


def test_chooser_lists_only_own_products(as_alice, world):
    listing = chooser_html(as_alice)
    results = chooser_html(as_alice, "choose_results", q="脐橙")
    own_results = chooser_html(as_alice, "choose_results", q="茶油")

    assert world.product_a.name in listing
    assert world.product_b.name not in listing
    assert world.product_b.name not in results
    assert world.product_a.name in own_results


def test_chooser_chosen_view_refuses_another_merchants_product(as_alice, world):
    assert as_alice.get(url(f"{CHOOSER}:chosen", world.product_b.pk)).status_code == 404
    assert as_alice.get(url(f"{CHOOSER}:chosen", "not-a-number")).status_code == 404
    own = as_alice.get(url(f"{CHOOSER}:chosen", world.product_a.pk))
    assert own.status_code == 200
    assert own.json()["result"]["id"] == str(world.product_a.pk)


def test_chooser_chosen_multiple_skips_another_merchants_product(as_alice, world):
    response = as_alice.get(url(f"{CHOOSER}:chosen_multiple"), {"id": [world.product_a.pk, world.product_b.pk, "x"]})

    assert response.status_code == 200
    assert [item["id"] for item in response.json()["result"]] == [str(world.product_a.pk)]


def test_chooser_cannot_create_products(as_alice):
    assert as_alice.get(url(f"{CHOOSER}:create")).status_code == 404


def test_chooser_for_operator_lists_every_product(client, world):
    client.force_login(world.operator)
    listing = chooser_html(client)

    assert world.product_a.name in listing
    assert world.product_b.name in listing


def test_counter_staff_have_no_product_views(client, world):
    client.force_login(world.carol)

    assert client.get(url(f"{PRODUCT}:list")).status_code == 302  # Wagtail: redirect to the dashboard
    assert world.product_a.name not in chooser_html(client)


def test_no_stock_ledger_entry_is_written_by_product_views(as_alice, world):
    before = StockMovement.objects.count()
    as_alice.post(url(f"{PRODUCT}:edit", world.product_a.pk), edit_form_data(as_alice, world.product_a))
    assert StockMovement.objects.count() == before


def test_bulk_action_hook_refuses_rows_outside_scope(rf, world):
    request = rf.post("/")
    request.user = world.alice
    action = SimpleNamespace(model=Product)

    with pytest.raises(Http404):
        refuse_bulk_actions_outside_scope(request, "delete", [world.product_a, world.product_b], action)
    assert refuse_bulk_actions_outside_scope(request, "delete", [world.product_a], action) is None


def test_permission_policy_checks_ownership_of_instances(world):
    policy = Product.snippet_viewset.permission_policy

    assert policy.user_has_permission_for_instance(world.alice, "change", world.product_a)
    assert not policy.user_has_permission_for_instance(world.alice, "change", world.product_b)
    assert not policy.user_has_any_permission_for_instance(world.alice, ["view", "delete"], world.product_b)
    assert policy.user_has_permission_for_instance(world.operator, "delete", world.product_b)
    assert list(policy.instances_user_has_permission_for(world.alice, "change")) == [world.product_a]
    assert not policy.instances_user_has_permission_for(world.carol, "view").exists()
    assert policy.user_has_permission_for_instance(world.alice, "add", Product(merchant=world.merchant_a))
    assert not policy.user_has_permission_for_instance(world.alice, "add", Product(merchant=world.merchant_b))
    assert set(policy.users_with_permission_for_instance("change", world.product_b)) == {world.bob, world.operator}


def test_a_refused_variant_removal_at_save_time_is_a_form_error(as_alice, world, monkeypatch):
    # Should the form check miss a reference (say, a new PROTECT foreign key), the save refusal is still caught.
    monkeypatch.setattr(VariantFormSet, "clean", BaseChildFormSet.clean)
    stocked = world.variant_a
    Variant.objects.create(product=world.product_a, sku="HA-SPARE", name="备用规格", price=900, sort_order=1)
    data = edit_form_data(as_alice, world.product_a)
    data["variants-0-DELETE"] = "on"
    data["name"] = "不应保存的新名"

    response = as_alice.post(url(f"{PRODUCT}:edit", world.product_a.pk), data)

    assert response.status_code == 200
    assert "still referred to" in response.content.decode()
    assert Variant.objects.filter(pk=stocked.pk).exists()
    world.product_a.refresh_from_db()
    assert world.product_a.name == "红安山茶油礼盒"


def test_site_history_report_is_closed_to_merchants_and_open_to_operators(client, world):
    """Wagtail's site-wide history would list every merchant's product edits: merchants get 404."""
    client.force_login(world.bob)
    data = edit_form_data(client, world.product_b)
    data["name"] = "贵措脐橙十斤装（新）"
    client.post(url(f"{PRODUCT}:edit", world.product_b.pk), data)

    client.force_login(world.alice)
    assert client.get("/admin/reports/site-history/").status_code == 404
    assert client.get("/admin/reports/site-history/results/").status_code == 404

    client.force_login(world.operator)
    response = client.get("/admin/reports/site-history/")
    assert response.status_code == 200
    assert "贵措脐橙十斤装（新）" in response.content.decode()
