"""``core.money``: fen shown as yuan, yuan typed by staff parsed to fen, and the product form taking yuan."""

import re
from decimal import Decimal

import pytest
from django import forms
from django.core.exceptions import ValidationError
from django.template import Context, Template
from django.utils import translation
from wagtail.test.utils.form_data import querydict_from_html

from catalog.models import Variant
from core.money import YuanField, fen_to_decimal, fen_to_yuan, format_fen, yuan_formfield, yuan_to_fen
from tests.catalog.admin_world import PRODUCT, url

# -- Showing fen as yuan -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("fen", "shown"),
    [
        (12345, "¥123.45"),
        (5, "¥0.05"),
        (1280, "¥12.80"),
        (100, "¥1.00"),
        (0, "¥0.00"),
        (123456789, "¥1,234,567.89"),
        (-5, "-¥0.05"),
        (-150, "-¥1.50"),
        (-250, "-¥2.50"),
        (-123456, "-¥1,234.56"),
        ("990", "¥9.90"),
        (Decimal(1280), "¥12.80"),
    ],
)
def test_format_fen_shows_yuan_with_two_decimals_and_the_sign_before_the_symbol(fen, shown):
    assert format_fen(fen) == shown


@pytest.mark.parametrize("value", [None, "", "abc", [], "12.5", 12.5, True, Decimal("12.5")])
def test_format_fen_shows_nothing_for_a_missing_or_non_integer_amount(value):
    assert format_fen(value) == ""
    assert fen_to_yuan(value) == ""


@pytest.mark.parametrize(
    ("fen", "yuan"), [(1280, "12.80"), (5, "0.05"), (0, "0.00"), (123456, "1234.56"), (-150, "-1.50")]
)
def test_fen_to_yuan_is_a_plain_number_for_inputs(fen, yuan):
    assert fen_to_yuan(fen) == yuan


def test_fen_to_decimal_is_exact():
    assert fen_to_decimal(1280) == Decimal("12.80")
    assert str(fen_to_decimal(5)) == "0.05"
    assert fen_to_decimal(-150) == Decimal("-1.50")


def test_the_money_template_filter_uses_the_same_format():
    template = Template("{% load money %}{{ a|money }} {{ b|money }} [{{ c|money }}]")

    assert template.render(Context({"a": 123450, "b": -150, "c": None})) == "¥1,234.50 -¥1.50 []"


# -- Parsing yuan ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "fen"),
    [
        ("12.8", 1280),
        ("12.80", 1280),
        ("12", 1200),
        ("¥12.80", 1280),
        ("￥12.80", 1280),
        ("１２．８０", 1280),
        ("12.80元", 1280),
        ("  0.01 ", 1),
        ("0", 0),
        ("1,234.50", 123450),
        ("-1.50", -150),
        ("-¥1.50", -150),
        ("0.1", 10),
        ("19.99", 1999),
    ],
)
def test_yuan_to_fen_accepts_what_staff_type(text, fen):
    assert yuan_to_fen(text) == fen


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("12.805", "max_decimal_places"),
        ("0.001", "max_decimal_places"),
        ("12.800", "max_decimal_places"),
        ("", "invalid"),
        ("abc", "invalid"),
        ("12.", "invalid"),
        ("12.8.0", "invalid"),
        ("1,23", "invalid"),
        ("1e3", "invalid"),
        ("NaN", "invalid"),
        ("--1", "invalid"),
        ("12,80", "invalid"),
        ("9999999999999", "max_digits"),
    ],
)
def test_yuan_to_fen_refuses_extra_decimals_and_garbage_with_a_message(text, code):
    with pytest.raises(ValidationError) as caught:
        yuan_to_fen(text)

    assert caught.value.code == code
    assert caught.value.messages[0]


def test_the_parse_error_is_translated():
    with pytest.raises(ValidationError) as caught:
        yuan_to_fen("12.805")

    with translation.override("zh-hans"):
        assert "小数" in str(caught.value.messages[0])


# -- The form field ----------------------------------------------------------------------


class PriceForm(forms.Form):
    price = YuanField(label="Price (yuan)")
    compare_at_price = YuanField(label="Compare-at price (yuan)", required=False)


def test_yuan_field_cleans_yuan_to_integer_fen():
    form = PriceForm({"price": "12.80", "compare_at_price": ""})

    assert form.is_valid(), form.errors
    assert form.cleaned_data == {"price": 1280, "compare_at_price": None}


def test_yuan_field_shows_the_fen_initial_value_as_yuan():
    form = PriceForm(initial={"price": 1280, "compare_at_price": None})

    html = str(form["price"])
    assert 'value="12.80"' in html
    assert 'inputmode="decimal"' in html
    assert 'value="' not in str(form["compare_at_price"])


def test_yuan_field_redisplays_what_was_typed_after_an_error():
    form = PriceForm({"price": "12.805"})

    assert not form.is_valid()
    assert "two decimal places" in form.errors["price"][0]
    assert 'value="12.805"' in str(form["price"])


@pytest.mark.parametrize(("value", "message"), [("-1", "cannot be negative"), ("", "This field is required.")])
def test_yuan_field_refuses_negative_or_missing_amounts(value, message):
    form = PriceForm({"price": value})

    assert not form.is_valid()
    assert message in form.errors["price"][0]


def test_yuan_field_bounds_are_shown_in_yuan():
    field = YuanField(min_fen=100, max_fen=10000)

    with pytest.raises(ValidationError, match=re.escape("¥1.00")):
        field.clean("0.99")
    with pytest.raises(ValidationError, match=re.escape("¥100.00")):
        field.clean("100.01")
    assert field.clean("100") == 10000


def test_yuan_field_compares_fen_when_checking_for_changes():
    field = YuanField()

    assert not field.has_changed(1280, "12.8")
    assert field.has_changed(1280, "12.81")
    assert not field.has_changed(None, "")


def test_yuan_formfield_follows_the_model_field():
    price = yuan_formfield(Variant._meta.get_field("price"), label="Price (yuan)")
    compare_at = yuan_formfield(Variant._meta.get_field("compare_at_price"), label="Compare-at price (yuan)")

    assert price.required
    assert not compare_at.required
    assert price.clean("12.80") == 1280
    with pytest.raises(ValidationError):
        price.clean("-1")


# -- Through the product edit view --------------------------------------------------------


def edit_form_data(client, product):
    response = client.get(url(f"{PRODUCT}:edit", product.pk))
    assert response.status_code == 200
    return querydict_from_html(response.content.decode(), form_id="w-editor-form")


def test_operator_types_a_variant_price_in_yuan_and_fen_are_stored(client, world):
    client.force_login(world.operator)
    data = edit_form_data(client, world.product_a)
    assert data["variants-0-price"] == "10.00"  # 1000 fen, shown in yuan
    data["variants-0-price"] = "12.80"

    response = client.post(url(f"{PRODUCT}:edit", world.product_a.pk), data)

    assert response.status_code == 302
    assert world.product_a.variants.get().price == 1280


@pytest.mark.parametrize("typed", ["12.805", "12,80", "¥"])
def test_a_price_with_more_than_two_decimals_or_garbage_is_a_form_error_and_saves_nothing(client, world, typed):
    client.force_login(world.operator)
    data = edit_form_data(client, world.product_a)
    data["variants-0-price"] = typed
    data["name"] = "不应保存的新名"

    response = client.post(url(f"{PRODUCT}:edit", world.product_a.pk), data)

    assert response.status_code == 200
    content = response.content.decode()
    assert "two decimal places" in content or "Enter an amount in yuan" in content
    world.product_a.refresh_from_db()
    assert world.product_a.name == "红安山茶油礼盒"
    assert world.product_a.variants.get().price == 1000
