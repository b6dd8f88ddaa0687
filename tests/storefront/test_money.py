import pytest

from storefront.templatetags.storefront_tags import money


@pytest.mark.parametrize(
    ("fen", "shown"),
    [
        (12345, "¥123.45"),
        (5, "¥0.05"),
        (1280, "¥12.80"),
        (100, "¥1.00"),
        (0, "¥0.00"),
        (123456789, "¥1,234,567.89"),
        (-250, "-¥2.50"),
        ("990", "¥9.90"),
    ],
)
def test_money_shows_fen_as_yuan_with_two_decimals(fen, shown):
    assert money(fen) == shown


@pytest.mark.parametrize("value", [None, "", "abc", [], "12.5"])
def test_money_shows_nothing_for_a_missing_or_non_numeric_amount(value):
    assert money(value) == ""
