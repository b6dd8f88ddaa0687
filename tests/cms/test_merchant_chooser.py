"""The merchant chooser of the story blocks lists, and returns, only the merchants the user may see."""

import pytest

from core import roles
from tests import factories
from tests.catalog.admin_world import url
from tests.fixtures.http import login


def chooser_merchants(client) -> set:
    response = client.get(url("merchant_chooser:choose_results"))
    assert response.status_code == 200
    return set(response.context["results"])


def test_merchant_member_sees_and_chooses_only_its_own_merchant(client, world):
    login(client, world.alice)

    assert chooser_merchants(client) == {world.merchant_a}
    assert client.get(url("merchant_chooser:chosen", world.merchant_a.pk)).status_code == 200
    assert client.get(url("merchant_chooser:chosen", world.merchant_b.pk)).status_code == 404
    multiple = client.get(url("merchant_chooser:chosen_multiple"), {"id": [world.merchant_a.pk, world.merchant_b.pk]})
    assert [str(item["id"]) for item in multiple.json()["result"]] == [str(world.merchant_a.pk)]


def test_counter_staff_see_no_merchant_in_the_chooser(client, world):
    login(client, world.carol)

    assert chooser_merchants(client) == set()
    assert client.get(url("merchant_chooser:chosen", world.merchant_a.pk)).status_code == 404


@pytest.mark.parametrize("group", [roles.EDITORS, roles.OPERATORS])
def test_editors_and_operators_choose_any_merchant(client, world, group):
    login(client, factories.make_user("staff", group=group))

    assert chooser_merchants(client) == {world.merchant_a, world.merchant_b}
    assert client.get(url("merchant_chooser:chosen", world.merchant_b.pk)).status_code == 200
