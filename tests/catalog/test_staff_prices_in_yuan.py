"""Staff type money in yuan, it is stored in integer fen: the merchant's variant prices, and every other amount
in a back-office form (a check over every edit form Wagtail builds: viewsets, snippets, settings, pages)."""

import pytest
from django.db import models
from django.urls import reverse
from wagtail.admin.panels import get_edit_handler
from wagtail.admin.viewsets import viewsets
from wagtail.contrib.settings.registry import registry as settings_registry
from wagtail.models import get_page_models
from wagtail.test.utils.form_data import querydict_from_html

from catalog.models import Variant
from core.money import YuanField
from tests.catalog.admin_world import PRODUCT, url

pytestmark = pytest.mark.django_db


def edit_form_data(client, product):
    response = client.get(url(f"{PRODUCT}:edit", product.pk))
    assert response.status_code == 200
    return querydict_from_html(response.content.decode(), form_id="w-editor-form")


def test_merchant_types_the_price_in_yuan_and_the_shop_shows_it(client, world):
    client.force_login(world.alice)
    data = edit_form_data(client, world.product_a)
    assert data["variants-0-price"] == "10.00"  # the stored 1000 fen, shown in yuan

    data["variants-0-price"] = "59.00"
    data["variants-0-compare_at_price"] = "68.5"
    data.update({"is_published": "on", "variants-0-is_active": "on"})  # Wagtail's switches, unread by the helper
    response = client.post(url(f"{PRODUCT}:edit", world.product_a.pk), data)

    assert response.status_code == 302
    variant = Variant.objects.get(pk=world.variant_a.pk)
    assert (variant.price, variant.compare_at_price) == (5900, 6850)
    client.logout()
    page = client.get(reverse("storefront:product_detail", args=[world.product_a.slug])).content.decode()
    assert "¥59.00" in page and "¥68.50" in page


@pytest.mark.parametrize("typed", ["5900", "59.001", "五十九"])
def test_a_price_that_is_not_yuan_is_a_form_error(client, world, typed):
    client.force_login(world.alice)
    data = edit_form_data(client, world.product_a)
    data["variants-0-price"] = typed

    response = client.post(url(f"{PRODUCT}:edit", world.product_a.pk), data)

    if typed == "5900":  # read as 5,900 yuan: a valid amount, but never 59 yuan by mistake
        assert Variant.objects.get(pk=world.variant_a.pk).price == 590000
    else:
        assert response.status_code == 200
        assert Variant.objects.get(pk=world.variant_a.pk).price == 1000


def _is_fen(field: models.Field) -> bool:
    words = f"{field.verbose_name} {field.help_text}".lower()
    return isinstance(field, models.IntegerField) and "fen" in words.split() + [w.strip("()") for w in words.split()]


def _forms():
    """Every edit form class of the back office, with a name for the failure message."""
    if not viewsets.viewsets:
        viewsets.populate()
    for viewset in viewsets.viewsets:
        if hasattr(viewset, "get_edit_handler") and getattr(viewset, "model", None):
            try:
                handler = viewset.get_edit_handler()
            except Exception:  # a read-only viewset without a form
                handler = None
            if handler is not None:
                yield f"{viewset.model.__name__} ({viewset.__class__.__name__})", handler.get_form_class()
    for model in settings_registry:
        yield f"{model.__name__} (settings)", get_edit_handler(model).get_form_class()
    for model in get_page_models():
        yield f"{model.__name__} (page)", model.get_edit_handler().get_form_class()


def _money_fields(form_class, name):
    model = form_class._meta.model
    for field_name, form_field in form_class.base_fields.items():
        model_field = next((f for f in model._meta.get_fields() if f.name == field_name), None)
        if model_field is not None and _is_fen(model_field):
            yield f"{name}.{field_name}", form_field
    for relation, formset in getattr(form_class, "formsets", {}).items():
        yield from _money_fields(formset.form, f"{name}.{relation}")


def test_every_money_field_staff_edit_is_typed_in_yuan():
    found = {label: field for name, form in _forms() for label, field in _money_fields(form, name)}

    assert {"Product (ProductViewSet).variants.price", "ShopSettings (settings).shipping_fee"} <= set(found)
    not_yuan = [label for label, field in found.items() if not isinstance(field, YuanField)]
    assert not_yuan == [], f"typed in fen: {not_yuan}"
