"""Operators set a counter's webhook and opening time; the secret is theirs alone."""

import re

from django.urls import reverse

from core import roles
from tests import factories
from tests.fixtures.users import english_admin


def test_a_new_counter_gets_its_own_secret_and_opens_at_nine(db):
    first, second = factories.make_location(), factories.make_location()
    assert re.fullmatch(r"[0-9a-f]{64}", first.webhook_secret)
    assert first.webhook_secret != second.webhook_secret
    assert first.opens_at.isoformat() == "09:00:00"


def test_operators_see_and_set_the_webhook_counter_staff_never_see_the_secret(db, client, operator):
    clerk = english_admin(factories.make_user("clerk", group=roles.COUNTER_STAFF))
    counter = factories.make_location(staff=(clerk,), webhook_url="https://counter.example.com/hook")

    client.force_login(operator)
    add_form = client.get(reverse("location:add")).content.decode()
    assert re.search(r'name="webhook_secret"[^>]*value="[0-9a-f]{64}"', add_form)
    assert re.search(r'name="opens_at"[^>]*value="09:00', add_form)
    edit_form = client.get(reverse("location:edit", args=[counter.pk])).content.decode()
    assert counter.webhook_secret in edit_form

    client.force_login(clerk)
    inspect = client.get(reverse("location:inspect", args=[counter.pk]))
    assert inspect.status_code == 200
    assert "https://counter.example.com/hook" in inspect.content.decode()
    assert counter.webhook_secret not in inspect.content.decode()
    edit = client.get(reverse("location:edit", args=[counter.pk]))
    assert (edit.status_code, edit["Location"]) == (302, reverse("wagtailadmin_home"))
