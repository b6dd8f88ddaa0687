"""Organisations in the back office: a member sees only their own organisation; operators see and register all."""

import pytest
from django.contrib.auth.models import Group
from wagtail.test.utils.form_data import inline_formset, nested_form_data

from core import roles
from orders.models import Membership, Organisation
from tests.fixtures.http import login
from tests.institutions.world import SCHOOL_CODE, url

pytestmark = pytest.mark.django_db


def test_a_member_sees_only_their_own_organisation(client, world):
    login(client, world.ann)

    listing = client.get(url("organisation:index"))
    search_other = client.get(url("organisation:index"), {"q": "农业农村局"})
    search_code = client.get(url("organisation:index"), {"q": world.bureau.credit_code})
    results = client.get(url("organisation:index_results"), {"q": "德州"})

    assert list(listing.context["object_list"]) == [world.union]
    assert world.bureau.name not in listing.content.decode()
    assert list(search_other.context["object_list"]) == []
    assert list(search_code.context["object_list"]) == []
    assert list(results.context["object_list"]) == [world.union]


@pytest.mark.parametrize("view", ["inspect", "edit", "delete", "history", "usage", "proof"])
def test_another_organisations_urls_are_not_found(client, world, view):
    response = login(client, world.ann).get(url(f"organisation:{view}", world.bureau.pk))

    assert response.status_code == 404


@pytest.mark.parametrize("decision", ["verify", "reject", "suspend", "reinstate"])
def test_another_organisations_decision_urls_are_not_found(client, world, decision):
    response = login(client, world.ben).get(url("organisation:decide", world.union.pk, decision))

    assert response.status_code == 404


def test_a_member_sees_their_organisations_details_members_and_addresses(client, world):
    page = login(client, world.ben).get(url("organisation:inspect", world.bureau.pk))

    content = page.content.decode()
    assert page.status_code == 200
    assert world.bureau.credit_code in content and "德州市农业农村局院内" in content
    assert "ben" in content and "ann" not in content and "德州市总工会院内" not in content
    assert page.context["decisions"] == []


def test_a_member_cannot_edit_their_organisation(client, world):
    response = login(client, world.ann).post(url("organisation:edit", world.union.pk), {"name": "改名"})

    assert response.status_code == 302  # Wagtail sends a refused user to the dashboard
    world.union.refresh_from_db()
    assert world.union.name == "德州市总工会"


def test_a_shopper_without_an_organisation_is_not_let_in(client, world):
    response = login(client, world.shopper).get(url("organisation:index"))

    assert response.status_code == 302


def test_the_operator_sees_every_organisation_and_may_decide(client, world):
    login(client, world.operator)

    listing = client.get(url("organisation:index"))
    inspect = client.get(url("organisation:inspect", world.union.pk))

    assert set(listing.context["object_list"]) == {world.union, world.bureau}
    assert [label for label, _url in inspect.context["decisions"]] == ["暂停"]


def test_an_operator_registers_an_organisation_verified_with_a_member_and_the_threshold_in_yuan(client, world):
    data = nested_form_data(
        {
            "name": "德州市第一中学",
            "kind": "government",
            "credit_code": SCHOOL_CODE.lower(),
            "invoice_title": "德州市第一中学",
            "tax_number": SCHOOL_CODE,
            "contact_name": "赵老师",
            "contact_phone": "13700137000",
            "contact_email": "",
            "approval_threshold": "2000.50",
            "annual_target": "120000",
            "addresses": inline_formset(
                [
                    {
                        "label": "学校食堂",
                        "recipient": "孙师傅",
                        "phone": "13600136000",
                        "province": "山东省",
                        "city": "德州市",
                        "district": "德城区",
                        "street": "新湖大街1号",
                    }
                ]
            ),
            "memberships": inline_formset([{"user": world.shopper.pk, "role": "approver"}]),
        }
    )

    response = login(client, world.operator).post(url("organisation:add"), data)

    assert response.status_code == 302
    school = Organisation.objects.get(credit_code=SCHOOL_CODE)
    assert school.status == Organisation.Status.VERIFIED and school.verified_by == world.operator
    assert school.approval_threshold == 200_050
    assert school.annual_target == 12_000_000
    assert school.changes.get().actor == world.operator
    assert school.addresses.get().label == "学校食堂"
    assert list(school.memberships.values_list("user", "role")) == [(world.shopper.pk, Membership.Role.APPROVER)]
    assert Group.objects.get(name=roles.ORGANISATION_MEMBERS) in world.shopper.groups.all()
    assert list(login(client, world.shopper).get(url("organisation:index")).context["object_list"]) == [school]


def test_the_operators_form_refuses_a_bad_or_taken_code(client, world):
    login(client, world.operator)
    form = {"name": "某单位", "kind": "union", "invoice_title": "某单位", "tax_number": "x", "contact_name": "x"}
    base = nested_form_data(
        {
            **form,
            "contact_phone": "13700137000",
            "approval_threshold": "0",
            "addresses": inline_formset([]),
            "memberships": inline_formset([]),
        }
    )

    wrong = client.post(url("organisation:add"), {**base, "credit_code": SCHOOL_CODE[:17] + "0"})
    taken = client.post(url("organisation:add"), {**base, "credit_code": world.union.credit_code})

    assert "校验不通过" in str(wrong.context["form"].errors["credit_code"])
    assert "already registered" in str(taken.context["form"].errors["credit_code"])
    assert Organisation.objects.count() == 2
