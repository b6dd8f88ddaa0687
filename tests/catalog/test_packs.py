"""Gift packs in the catalogue: the one split rule, publishing, and the operators-only back office."""

import itertools
import random

import pytest

from catalog.models import Pack, PackItem, Variant
from catalog.packs import split_pack_price, split_price
from core import roles
from tests import factories
from tests.catalog.admin_world import url
from tests.fixtures.http import login
from tests.fixtures.users import english_admin


def items(*prices_and_quantities) -> list[PackItem]:
    return [PackItem(variant=Variant(pk=i + 1, price=p), quantity=q) for i, (p, q) in enumerate(prices_and_quantities)]


def totals(parts) -> dict[int, int]:
    shares: dict[int, int] = {}
    for part in parts:
        shares[part.variant.pk] = shares.get(part.variant.pk, 0) + part.fen
    return shares


def test_the_split_sums_exactly_to_the_pack_price_over_many_prices_and_compositions():
    rng = random.Random(19)
    compositions = [
        items(*[(rng.randint(1, 30000), rng.randint(1, 6)) for _ in range(rng.randint(1, 6))]) for _ in range(60)
    ]
    compositions += [items((3333, 1), (3333, 1), (3334, 1)), items((100, 3)), items((1, 1), (1, 1), (1, 1))]
    for composition, price in itertools.product(compositions, [1, 2, 99, 100, 9999, 10000, 20000, 30001]):
        parts = split_price(price, composition)
        assert sum(part.fen for part in parts) == price
        for part in parts:
            assert part.quantity >= 1 and part.fen == part.unit_price * part.quantity  # whole fen per unit
        units = {item.variant.pk: item.quantity for item in composition}
        for pk, quantity in units.items():
            assert sum(p.quantity for p in parts if p.variant.pk == pk) == quantity


def test_the_split_is_in_proportion_to_list_value_and_the_last_fen_goes_by_largest_remainder():
    # ¥100 over three producers' items listed at 40 + 35 + 30 = 105: 38.095…, 33.333…, 28.571…
    parts = split_price(10000, items((4000, 1), (3500, 1), (3000, 1)))
    assert totals(parts) == {1: 3810, 2: 3333, 3: 2857}
    # Three equal items sharing 100 fen: the one fen left goes to the first (ties in item order).
    assert totals(split_price(100, items((50, 1), (50, 1), (50, 1)))) == {1: 34, 2: 33, 3: 33}
    # Sold at list value, every item keeps its price.
    assert totals(split_price(10500, items((4000, 1), (3500, 1), (3000, 1)))) == {1: 4000, 2: 3500, 3: 3000}


def test_a_component_whose_units_differ_by_a_fen_comes_back_as_two_parts():
    parts = split_price(1000, items((500, 3)))
    assert [(p.quantity, p.unit_price) for p in parts] == [(1, 334), (2, 333)]
    assert split_price(1000, items((500, 3))) == parts  # deterministic


@pytest.mark.django_db
def test_split_pack_price_reads_the_pack_items_in_order():
    first, second = (factories.make_product(price=p).variants.get() for p in (6000, 4000))
    pack = Pack.objects.create(name="中秋礼包", slug="mid-autumn", price=9000)
    PackItem.objects.create(pack=pack, variant=first, quantity=1, sort_order=0)
    PackItem.objects.create(pack=pack, variant=second, quantity=1, sort_order=1)
    assert [(p.variant, p.fen) for p in split_pack_price(pack)] == [(first, 5400), (second, 3600)]


def pack_form(variants_and_quantities, *, price: str = "100.00", published: bool = True, slug: str = "spring") -> dict:
    data = {
        "name": "春节礼包",
        "slug": slug,
        "description": "",
        "price": price,
        "items-TOTAL_FORMS": str(len(variants_and_quantities)),
        "items-INITIAL_FORMS": "0",
        "items-MIN_NUM_FORMS": "0",
        "items-MAX_NUM_FORMS": "1000",
    }
    if published:
        data["is_published"] = "on"
    for i, (variant, quantity) in enumerate(variants_and_quantities):
        data.update(
            {f"items-{i}-variant": str(variant.pk), f"items-{i}-quantity": str(quantity), f"items-{i}-ORDER": str(i)}
        )
    return data


@pytest.mark.django_db
def test_operators_compose_and_publish_a_pack_priced_in_yuan(client, world):
    login(client, world.operator)
    assert url("pack:index") in client.get("/admin/").content.decode()  # in the menu

    list_value = 2 * world.variant_a.price + world.variant_b.price
    response = client.post(url("pack:add"), pack_form([(world.variant_a, 2), (world.variant_b, 1)], price="25.00"))

    assert response.status_code == 302, response.context["form"].errors
    pack = Pack.objects.get(slug="spring")
    assert (pack.price, pack.is_published) == (2500, True) and list_value >= 2500
    assert [(i.variant, i.quantity) for i in pack.items.order_by("sort_order")] == [
        (world.variant_a, 2),
        (world.variant_b, 1),
    ]
    assert "25.00" in client.get(url("pack:index")).content.decode()


@pytest.mark.django_db
def test_a_pack_priced_above_its_list_value_or_without_items_is_not_published(client, world):
    login(client, world.operator)
    list_value = world.variant_a.price + world.variant_b.price

    dear = client.post(
        url("pack:add"),
        pack_form([(world.variant_a, 1), (world.variant_b, 1)], price=f"{list_value / 100 + 0.01:.2f}"),
    )
    empty = client.post(url("pack:add"), pack_form([], slug="empty"))

    assert dear.status_code == 200 and "above what its items cost" in dear.content.decode()
    assert empty.status_code == 200 and "needs at least one item" in empty.content.decode()
    assert not Pack.objects.exists()
    # At list value exactly it is published; unpublished, a draft may be incomplete.
    at_value = client.post(
        url("pack:add"),
        pack_form([(world.variant_a, 1), (world.variant_b, 1)], price=f"{list_value / 100:.2f}"),
    )
    draft = client.post(url("pack:add"), pack_form([], slug="draft", published=False))
    assert (at_value.status_code, draft.status_code) == (302, 302)


@pytest.fixture
def outsider(request, world):
    """A merchant member, an editor or counter staff: back-office users who are not operators."""
    if request.param == "merchant":
        return world.alice
    return english_admin(factories.make_user(group=request.param))


@pytest.mark.django_db
@pytest.mark.parametrize("outsider", ["merchant", roles.EDITORS, roles.COUNTER_STAFF], indirect=True)
def test_only_operators_reach_the_pack_screens(client, world, outsider):
    pack = Pack.objects.create(name="重阳礼包", slug="double-ninth", price=5000)
    PackItem.objects.create(pack=pack, variant=world.variant_a, quantity=1)
    login(client, outsider)

    assert url("pack:index") not in client.get("/admin/").content.decode()
    for page in (
        url("pack:index"),
        url("pack:add"),
        url("pack:edit", pack.pk),
        url("pack:delete", pack.pk),
    ):
        response = client.get(page)
        assert response.status_code in (302, 403), page
        assert "重阳礼包" not in response.content.decode()

    client.post(url("pack:add"), pack_form([(world.variant_a, 1)], price="1.00", slug="mine"))
    client.post(url("pack:edit", pack.pk), pack_form([(world.variant_a, 1)], price="1.00", slug="double-ninth"))
    client.post(url("pack:delete", pack.pk))
    assert list(Pack.objects.values_list("slug", "price")) == [("double-ninth", 5000)]
