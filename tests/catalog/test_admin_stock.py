"""Stock, stock changes and the stock ledger in the back office, scoped per merchant and per counter."""

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import NoReverseMatch, reverse

from catalog.models import Stock, StockMovement
from tests.catalog.admin_world import url
from tests.fixtures.http import login


def listed(response) -> set:
    assert response.status_code == 200
    return set(response.context["object_list"])


# -- Stock listing -----------------------------------------------------------------------


def test_merchant_sees_only_its_own_stock_at_every_location(client, world):
    rows = listed(login(client, world.alice).get(url("stock:index")))

    assert rows == set(Stock.objects.filter(variant__product__merchant=world.merchant_a))
    assert len(rows) == 3


def test_counter_staff_see_only_their_counters_stock(client, world):
    rows = listed(login(client, world.carol).get(url("stock:index")))

    assert rows == {world.stock(world.variant_a, world.counter1), world.stock(world.variant_b, world.counter1)}


def test_operator_sees_all_stock(client, world):
    assert len(listed(login(client, world.operator).get(url("stock:index")))) == 6


def test_stock_search_and_filters_stay_in_scope(client, world):
    login(client, world.alice)

    by_other_sku = listed(client.get(url("stock:index"), {"q": world.variant_b.sku}))
    by_other_merchant = listed(client.get(url("stock:index"), {"merchant": world.merchant_b.pk}))
    by_location = listed(client.get(url("stock:index"), {"location": world.counter2.pk}))

    assert by_other_sku == set()
    assert world.stock(world.variant_b, world.warehouse) not in by_other_merchant
    assert by_location == {world.stock(world.variant_a, world.counter2)}


def test_stock_listing_for_counter_staff_offers_only_their_counter(client, world):
    response = login(client, world.carol).get(url("stock:index"))

    assert list(response.context["filters"].form.fields["location"].queryset) == [world.counter1]
    assert world.counter2.name not in response.content.decode()


def test_stock_has_no_add_edit_or_delete_urls():
    for name in ("add", "edit", "delete", "copy", "history", "usage"):
        with pytest.raises(NoReverseMatch):
            reverse(f"stock:{name}", args=[1]) if name != "add" else reverse("stock:add")


# -- Adjust and transfer -----------------------------------------------------------------


def test_adjusting_stock_outside_scope_is_not_found(client, world):
    other = world.stock(world.variant_b, world.warehouse)
    login(client, world.alice)

    page = client.get(url("stock:adjust", other.pk))
    posted = client.post(url("stock:adjust", other.pk), {"kind": "adjust", "quantity": "-5", "reason": "x"})
    transfer = client.post(
        url("stock:transfer", other.pk), {"destination": world.counter1.pk, "quantity": "5", "reason": "x"}
    )

    assert (page.status_code, posted.status_code, transfer.status_code) == (404, 404, 404)
    other.refresh_from_db()
    assert other.on_hand == 50
    assert not StockMovement.objects.filter(stock=other, actor=world.alice).exists()


def test_adjust_with_a_negative_result_shows_the_error_and_changes_nothing(client, world):
    stock = world.stock(world.variant_a, world.counter1)
    login(client, world.alice)

    response = client.post(url("stock:adjust", stock.pk), {"kind": "adjust", "quantity": "-11", "reason": "破损"})

    assert response.status_code == 200
    assert "Not enough stock" in response.content.decode()
    stock.refresh_from_db()
    assert stock.on_hand == 10
    assert StockMovement.objects.filter(stock=stock).count() == 1


def test_adjust_requires_a_reason(client, world):
    stock = world.stock(world.variant_a, world.counter1)
    login(client, world.alice)

    response = client.post(url("stock:adjust", stock.pk), {"kind": "adjust", "quantity": "-1", "reason": ""})

    assert response.status_code == 200
    assert "reason" in response.context["form"].errors
    stock.refresh_from_db()
    assert stock.on_hand == 10


@pytest.mark.parametrize("quantity", ["abc", "1.5", "", "99999999999999999999"])
def test_adjust_with_bad_quantities_is_a_form_error(client, world, quantity):
    stock = world.stock(world.variant_a, world.counter1)
    login(client, world.alice)

    response = client.post(url("stock:adjust", stock.pk), {"kind": "adjust", "quantity": quantity, "reason": "x"})

    assert response.status_code == 200
    assert "quantity" in response.context["form"].errors


@pytest.mark.parametrize(
    ("kind", "quantity", "on_hand", "movement_kind"),
    [("adjust", "-3", 7, "adjust"), ("receive", "5", 15, "receive"), ("count", "8", 8, "correction")],
)
def test_valid_adjust_writes_a_ledger_entry_with_actor_and_reason(
    client, world, kind, quantity, on_hand, movement_kind
):
    stock = world.stock(world.variant_a, world.counter1)
    login(client, world.alice)

    response = client.post(url("stock:adjust", stock.pk), {"kind": kind, "quantity": quantity, "reason": "月末盘点"})

    assert response.status_code == 302
    stock.refresh_from_db()
    assert stock.on_hand == on_hand
    movement = StockMovement.objects.filter(stock=stock).latest("pk")
    assert (movement.kind, movement.actor, movement.reason, movement.on_hand_after) == (
        movement_kind,
        world.alice,
        "月末盘点",
        on_hand,
    )


def test_counting_the_same_quantity_changes_nothing(client, world):
    stock = world.stock(world.variant_a, world.counter1)
    login(client, world.alice)

    data = {"kind": "count", "quantity": "10", "reason": "盘点"}
    response = client.post(url("stock:adjust", stock.pk), data, follow=True)

    assert "nothing was changed" in response.content.decode()
    assert StockMovement.objects.filter(stock=stock).count() == 1


def test_counter_staff_may_view_but_not_adjust(client, world):
    stock = world.stock(world.variant_a, world.counter1)
    login(client, world.carol)

    response = client.post(url("stock:adjust", stock.pk), {"kind": "adjust", "quantity": "-1", "reason": "x"})

    assert response.status_code == 302
    assert response["Location"] == reverse("wagtailadmin_home")
    stock.refresh_from_db()
    assert stock.on_hand == 10
    assert "Adjust" not in client.get(url("stock:index")).content.decode()


def test_transfer_moves_units_with_two_ledger_entries(client, world):
    source = world.stock(world.variant_a, world.warehouse)
    login(client, world.alice)

    response = client.post(
        url("stock:transfer", source.pk), {"destination": world.counter1.pk, "quantity": "20", "reason": "补货"}
    )

    assert response.status_code == 302
    assert world.stock(world.variant_a, world.warehouse).on_hand == 30
    assert world.stock(world.variant_a, world.counter1).on_hand == 30
    out, into = StockMovement.objects.filter(reference__startswith="TR-").order_by("pk")
    assert (out.kind, into.kind, out.actor, into.reason) == ("transfer_out", "transfer_in", world.alice, "补货")


def test_transfer_of_more_than_available_is_refused(client, world):
    source = world.stock(world.variant_a, world.counter2)
    login(client, world.alice)

    response = client.post(
        url("stock:transfer", source.pk), {"destination": world.counter1.pk, "quantity": "8", "reason": "补货"}
    )

    assert response.status_code == 200
    assert "Not enough stock" in response.content.decode()
    assert world.stock(world.variant_a, world.counter2).on_hand == 7
    assert world.stock(world.variant_a, world.counter1).on_hand == 10


def test_transfer_to_the_same_location_is_not_offered(client, world):
    source = world.stock(world.variant_a, world.counter1)
    login(client, world.alice)

    response = client.post(
        url("stock:transfer", source.pk), {"destination": world.counter1.pk, "quantity": "1", "reason": "x"}
    )

    assert response.status_code == 200
    assert "destination" in response.context["form"].errors


# -- Ledger ------------------------------------------------------------------------------


def test_ledger_is_scoped_like_stock(client, world):
    alice_rows = listed(login(client, world.alice).get(url("stock_ledger:index")))
    carol_rows = listed(login(client, world.carol).get(url("stock_ledger:index")))
    operator_rows = listed(login(client, world.operator).get(url("stock_ledger:index")))

    assert alice_rows == set(StockMovement.objects.filter(stock__variant__product__merchant=world.merchant_a))
    assert carol_rows == set(StockMovement.objects.filter(stock__location=world.counter1))
    assert len(operator_rows) == 6


def test_ledger_filters_by_kind_location_merchant_and_date(client, world):
    stock = world.stock(world.variant_a, world.counter1)
    login(client, world.alice)
    client.post(url("stock:adjust", stock.pk), {"kind": "adjust", "quantity": "-2", "reason": "破损"})

    by_kind = listed(client.get(url("stock_ledger:index"), {"kind": "adjust"}))
    by_location = listed(client.get(url("stock_ledger:index"), {"location": world.counter1.pk}))
    by_other_merchant = listed(client.get(url("stock_ledger:index"), {"merchant": world.merchant_b.pk}))
    in_the_past = listed(client.get(url("stock_ledger:index"), {"created_at_to": "2000-01-01"}))
    bad_date = client.get(url("stock_ledger:index"), {"created_at_from": "not-a-date"})

    assert [m.reason for m in by_kind] == ["破损"]
    assert {m.stock for m in by_location} == {stock}
    assert all(m.stock.variant.product.merchant == world.merchant_a for m in by_other_merchant)
    assert in_the_past == set()
    assert bad_date.status_code == 200


def test_ledger_inspect_is_scoped(client, world):
    own = StockMovement.objects.filter(stock__variant=world.variant_a).first()
    other = StockMovement.objects.filter(stock__variant=world.variant_b).first()
    login(client, world.alice)

    assert client.get(url("stock_ledger:inspect", own.pk)).status_code == 200
    assert client.get(url("stock_ledger:inspect", other.pk)).status_code == 404


def test_ledger_has_no_add_edit_or_delete_urls():
    for name, args in (("add", []), ("edit", [1]), ("delete", [1]), ("copy", [1]), ("history", [1])):
        with pytest.raises(NoReverseMatch):
            reverse(f"stock_ledger:{name}", args=args)


def test_ledger_export_is_scoped(client, world):
    response = login(client, world.alice).get(url("stock_ledger:index"), {"export": "csv"})

    text = b"".join(response.streaming_content).decode("utf-8-sig")
    skus = {row[2] for row in list(csv.reader(io.StringIO(text)))[1:]}
    assert skus == {world.variant_a.sku}


# -- CSV export and import views ---------------------------------------------------------


def test_stock_csv_export_view_is_scoped(client, world):
    response = login(client, world.alice).get(url("stock:export"), {"download": "1"})

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == ["sku", "product", "variant", "location", "on_hand", "allocated", "available"]
    assert {row[0] for row in rows[1:]} == {world.variant_a.sku}


def test_stock_csv_export_view_ignores_another_merchant_in_the_query(client, world):
    response = login(client, world.alice).get(url("stock:export"), {"download": "1", "merchant": world.merchant_b.pk})

    assert response.status_code == 200
    assert world.variant_b.sku not in response.content.decode()


def test_operator_exports_one_chosen_merchant(client, world):
    login(client, world.operator)
    response = client.get(url("stock:export"), {"download": "1", "merchant": world.merchant_b.pk})

    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))[1:]
    assert {row[0] for row in rows} == {world.variant_b.sku}
    assert len(rows) == 3


def upload(text: str, name: str = "count.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode("utf-8"), content_type="text/csv")


def test_import_view_reports_bad_rows_with_line_numbers_and_applies_nothing(client, world):
    sku = world.variant_a.sku
    text = f"sku,location,on_hand\n{sku},xs-wh,40\n{sku},dz-decheng,abc\n{world.variant_b.sku},dz-leling,3\n"
    login(client, world.alice)

    response = client.post(url("stock:import"), {"file": upload(text), "reason": "月末盘点"})

    assert response.status_code == 200
    content = response.content.decode()
    assert "Line 3:" in content
    assert "Line 4:" in content
    assert "Nothing was imported" in content
    assert world.stock(world.variant_a, world.warehouse).on_hand == 50
    assert not StockMovement.objects.filter(kind="correction").exists()


def test_import_view_applies_a_valid_file(client, world):
    sku = world.variant_a.sku
    text = f"sku,location,on_hand,reason\n{sku},xs-wh,40,\n{sku},dz-decheng,10,\n{sku},dz-leling,9,专柜盘点\n"
    login(client, world.alice)

    response = client.post(url("stock:import"), {"file": upload(text), "reason": "月末盘点"}, follow=True)

    assert "2 rows corrected, 1 unchanged" in response.content.decode()
    assert world.stock(world.variant_a, world.warehouse).on_hand == 40
    assert world.stock(world.variant_a, world.counter2).on_hand == 9
    reasons = set(StockMovement.objects.filter(kind="correction", actor=world.alice).values_list("reason", flat=True))
    assert reasons == {"月末盘点", "专柜盘点"}


def test_import_view_survives_garbage(client, world):
    garbage = SimpleUploadedFile("count.csv", b"\xff\xfe\x00\x81garbage\x00", content_type="text/csv")
    login(client, world.alice)

    response = client.post(url("stock:import"), {"file": garbage, "reason": "x"})

    assert response.status_code == 200
    assert "not UTF-8" in response.content.decode()


def test_counter_staff_cannot_import(client, world):
    login(client, world.carol)
    text = f"sku,location,on_hand\n{world.variant_a.sku},dz-decheng,0\n"

    response = client.post(url("stock:import"), {"file": upload(text), "reason": "x"})

    assert response.status_code == 302
    assert world.stock(world.variant_a, world.counter1).on_hand == 10


# -- Menu --------------------------------------------------------------------------------


def menu_item_names(client) -> set[str]:
    from wagtail.admin.menu import admin_menu

    request = client.get(reverse("wagtailadmin_home")).wsgi_request
    catalogue = next(item for item in admin_menu.menu_items_for_request(request) if item.name == "catalogue")
    return {item.name for item in catalogue.menu.menu_items_for_request(request)}


def test_menu_shows_what_each_role_may_use(client, world):
    assert menu_item_names(login(client, world.operator)) == {
        "products",
        "merchants",
        "certificates",
        "categories",
        "locations",
        "stock",
        "stock-ledger",
        "search-synonyms",
        "gift-packs",
    }
    assert menu_item_names(login(client, world.alice)) == {
        "products",
        "merchants",
        "certificates",
        "stock",
        "stock-ledger",
    }
    assert menu_item_names(login(client, world.carol)) == {"locations", "stock", "stock-ledger"}


def test_stock_form_pages_render_for_their_users(client, world):
    stock = world.stock(world.variant_a, world.counter1)
    login(client, world.alice)

    pages = {
        name: client.get(url(f"stock:{name}", *args))
        for name, args in (("adjust", [stock.pk]), ("transfer", [stock.pk]), ("import", []), ("export", []))
    }

    assert {name: page.status_code for name, page in pages.items()} == dict.fromkeys(pages, 200)
    assert world.variant_a.sku in pages["adjust"].content.decode()
    destinations = pages["transfer"].context["form"].fields["destination"].queryset
    assert set(destinations) == {world.warehouse, world.counter2}
    assert list(pages["export"].context["form"].fields["merchant"].queryset) == [world.merchant_a]
