"""CSV export and import of stock counts: scoped, checked as a whole, applied all or nothing."""

import csv
import io

import pytest

from catalog import services, stock_csv
from catalog.models import Stock, StockMovement
from catalog.stock_csv import export_stock, import_stock
from tests import factories


def on_hand(world, variant, location) -> int:
    return world.stock(variant, location).on_hand


def lines(*rows: str) -> bytes:
    return ("\n".join(rows) + "\n").encode("utf-8")


def messages(result) -> list[str]:
    return [str(error) for error in result.errors]


def test_valid_file_applies_counts_as_corrections_with_one_reference(world):
    sku = world.variant_a.sku
    data = lines(
        "sku,location,on_hand,reason", f"{sku},xs-wh,45,", f"{sku},dz-decheng,10,", f"{sku},dz-leling,0,过期报损"
    )

    result = import_stock(data, user=world.alice, reason="三月盘点")

    assert result.ok
    assert (result.changed, result.unchanged) == (2, 1)
    assert on_hand(world, world.variant_a, world.warehouse) == 45
    assert on_hand(world, world.variant_a, world.counter2) == 0
    movements = StockMovement.objects.filter(kind=StockMovement.Kind.CORRECTION).order_by("pk")
    assert [(m.quantity, m.reason, m.actor, m.reference) for m in movements] == [
        (-5, "三月盘点", world.alice, result.reference),
        (-7, "过期报损", world.alice, result.reference),
    ]
    assert result.reference.startswith("CSV-")


def test_a_count_at_a_location_without_stock_creates_the_row(world):
    other_counter = factories.make_location(code="dz-yucheng")

    result = import_stock(
        lines("sku,location,on_hand", f"{world.variant_a.sku},dz-yucheng,6"), user=world.alice, reason="新柜台首次盘点"
    )

    assert result.ok
    assert Stock.objects.get(variant=world.variant_a, location=other_counter).on_hand == 6


def test_one_bad_row_among_good_ones_is_reported_and_nothing_is_applied(world):
    sku = world.variant_a.sku
    data = lines("sku,location,on_hand", f"{sku},xs-wh,45", f"{sku},dz-decheng,-3", f"{sku},dz-leling,2")
    before = StockMovement.objects.count()

    result = import_stock(data, user=world.alice, reason="盘点")

    assert not result.ok
    assert messages(result) == ["Line 3: on_hand “-3” is not a whole number of zero or more."]
    assert on_hand(world, world.variant_a, world.warehouse) == 50
    assert on_hand(world, world.variant_a, world.counter2) == 7
    assert StockMovement.objects.count() == before


def test_every_problem_is_reported_with_its_line_number(world):
    sku = world.variant_a.sku
    Stock.objects.filter(variant=world.variant_a, location=world.counter1).update(allocated=4)
    data = lines(
        "sku,location,on_hand",
        f"{sku},xs-wh,1.5",
        "NO-SUCH-SKU,xs-wh,3",
        f"{sku},no-such-place,3",
        f"{sku},dz-decheng,3",
        f"{sku},dz-leling,5",
        f"{sku},dz-leling,6",
        f",xs-wh,{'9' * 5000}",
    )

    result = import_stock(data, user=world.alice, reason="盘点")

    assert messages(result) == [
        "Line 2: on_hand “1.5” is not a whole number of zero or more.",
        "Line 3: Unknown SKU “NO-SUCH-SKU”.",
        "Line 4: Unknown location code “no-such-place”.",
        f"Line 5: 4 units of “{sku}” at “dz-decheng” are allocated to orders; the count cannot be lower.",
        f"Line 7: “{sku}” at “dz-leling” is already counted on line 6.",
        "Line 8: The SKU is missing.",
        "Line 8: on_hand 99999999999999999999 is more than 1000000.",
    ]
    assert not StockMovement.objects.filter(kind=StockMovement.Kind.CORRECTION).exists()


def test_another_merchants_sku_is_reported_as_unknown(world):
    result = import_stock(lines("sku,location,on_hand", f"{world.variant_b.sku},xs-wh,0"), user=world.alice, reason="x")

    assert messages(result) == [f"Line 2: Unknown SKU “{world.variant_b.sku}”."]
    assert on_hand(world, world.variant_b, world.warehouse) == 50


def test_operator_may_limit_an_import_to_one_merchant(world):
    data = lines("sku,location,on_hand", f"{world.variant_a.sku},xs-wh,1", f"{world.variant_b.sku},xs-wh,1")

    limited = import_stock(data, user=world.operator, reason="x", merchant=world.merchant_a)
    both = import_stock(data, user=world.operator, reason="x")

    assert messages(limited) == [f"Line 3: Unknown SKU “{world.variant_b.sku}”."]
    assert both.ok
    assert both.changed == 2


def test_counter_staff_cannot_set_stock_through_an_import(world):
    result = import_stock(
        lines("sku,location,on_hand", f"{world.variant_a.sku},dz-decheng,0"), user=world.carol, reason="x"
    )

    assert not result.ok
    assert on_hand(world, world.variant_a, world.counter1) == 10


def test_utf8_with_byte_order_mark_as_excel_writes_it(world):
    data = f"\ufeffsku,location,on_hand,reason\r\n{world.variant_a.sku},xs-wh,44,月末盘点\r\n".encode()

    result = import_stock(data, user=world.alice, reason="")

    assert result.ok
    assert on_hand(world, world.variant_a, world.warehouse) == 44


def test_header_names_are_case_and_space_insensitive_and_extra_columns_are_ignored(world):
    data = lines(" SKU ,Product,Location,On_Hand", f"{world.variant_a.sku},茶油,xs-wh,41")

    result = import_stock(data, user=world.alice, reason="盘点")

    assert result.ok
    assert on_hand(world, world.variant_a, world.warehouse) == 41


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"\xff\xfe\x00s\x00k\x00u", "The file is not UTF-8 text."),
        ("sku,location,on_hand\n茶油,xs-wh,1\n".encode("gb18030"), "The file is not UTF-8 text."),
        (b"sku,location,on_hand\nA\x00B,xs-wh,1\n", "The file is not a CSV text file."),
        (b"", "The file is empty."),
        (b"sku,location,on_hand\n", "The file has no rows to import."),
        (b"sku;location;on_hand\nX;xs-wh;1\n", "Line 1: The first line must name the columns"),
        (b"sku,location\nX,xs-wh\n", "missing: on_hand"),
        (b"sku,location,on_hand,sku\nX,xs-wh,1,X\n", "Column named more than once: sku."),
        (b'sku,location,on_hand\n"unterminated,xs-wh,1\n', "Line"),
        (b"x" * (stock_csv.MAX_IMPORT_BYTES + 1), "The file is too large"),
    ],
)
def test_malformed_files_are_reported_without_changes(world, data, message):
    result = import_stock(data, user=world.alice, reason="x")

    assert not result.ok
    assert message in messages(result)[0]
    assert not StockMovement.objects.filter(kind=StockMovement.Kind.CORRECTION).exists()


def test_a_reason_is_required_somewhere(world):
    result = import_stock(lines("sku,location,on_hand", f"{world.variant_a.sku},xs-wh,1"), user=world.alice, reason=" ")

    assert messages(result) == ["Line 2: A reason is required."]


def test_too_many_rows_are_refused(world, monkeypatch):
    monkeypatch.setattr(stock_csv, "MAX_IMPORT_ROWS", 2)
    sku = world.variant_a.sku

    result = import_stock(
        lines("sku,location,on_hand", f"{sku},xs-wh,1", f"{sku},dz-decheng,1", f"{sku},dz-leling,1"),
        user=world.alice,
        reason="x",
    )

    assert messages(result) == ["Line 4: Too many rows (at most 2)."]


def test_a_refusal_while_applying_rolls_back_the_rows_already_applied(world, monkeypatch):
    real = services.set_stock_level
    calls = []

    def refuse_the_second(**kwargs):
        calls.append(kwargs["location"].code)
        if len(calls) == 2:
            raise services.InsufficientStock("allocated meanwhile")
        return real(**kwargs)

    monkeypatch.setattr(services, "set_stock_level", refuse_the_second)
    sku = world.variant_a.sku

    result = import_stock(
        lines("sku,location,on_hand", f"{sku},xs-wh,1", f"{sku},dz-decheng,1"), user=world.alice, reason="x"
    )

    assert messages(result) == ["Line 3: allocated meanwhile"]
    assert on_hand(world, world.variant_a, world.warehouse) == 50
    assert not StockMovement.objects.filter(kind=StockMovement.Kind.CORRECTION).exists()


# -- Export ------------------------------------------------------------------------------


def parse(text: str) -> list[list[str]]:
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


def test_export_lists_only_the_users_stock(world):
    rows = parse(export_stock(world.alice))

    assert rows[0] == ["sku", "product", "variant", "location", "on_hand", "allocated", "available"]
    assert sorted(rows[1:]) == sorted(
        [world.variant_a.sku, "红安山茶油礼盒", world.variant_a.name, code, str(n), "0", str(n)]
        for code, n in (("xs-wh", 50), ("dz-decheng", 10), ("dz-leling", 7))
    )


def test_counter_staff_export_only_their_counter(world):
    rows = parse(export_stock(world.carol))[1:]

    assert {(row[0], row[3]) for row in rows} == {
        (world.variant_a.sku, "dz-decheng"),
        (world.variant_b.sku, "dz-decheng"),
    }


def test_an_export_imports_back_unchanged(world):
    text = export_stock(world.alice)

    result = import_stock(text.encode("utf-8"), user=world.alice, reason="核对")

    assert result.ok
    assert (result.changed, result.unchanged) == (0, 3)


def test_export_defuses_spreadsheet_formulas_in_names(world):
    world.product_a.name = '=HYPERLINK("http://evil")'
    world.product_a.save()

    rows = parse(export_stock(world.alice, location=world.warehouse))

    assert rows[1][1] == '\'=HYPERLINK("http://evil")'
