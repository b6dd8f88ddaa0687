"""A shopper applies for their organisation; an operator verifies or rejects it; the applicant hears of it."""

from types import SimpleNamespace

import pytest
from django.contrib.auth.models import Group
from django.test import Client

from core import roles
from orders.institutions.services import OrganisationError, decide
from orders.models import Membership, Organisation
from storefront import ratelimit
from tests.fixtures.http import login
from tests.institutions.world import SCHOOL_CODE, credit_code, proof, url
from worker.models import Notification

pytestmark = pytest.mark.django_db


def application(**changes) -> dict:
    data = {
        "kind": "government",
        "name": "德州市第一中学",
        "credit_code": SCHOOL_CODE.lower(),
        "invoice_title": "",
        "tax_number": "",
        "contact_name": "赵老师",
        "contact_phone": "13700137000",
        "contact_email": "school@example.com",
        "label": "学校食堂",
        "recipient": "孙师傅",
        "phone": "13600136000",
        "province": "山东省",
        "city": "德州市",
        "district": "德城区",
        "street": "新湖大街1号",
        "proof": proof(),
    }
    return {**data, **changes}


def apply(client: Client, user, **changes):
    return login(client, user).post(url("storefront:institution_apply"), application(**changes))


def test_an_application_waits_for_an_operator_with_the_applicant_as_buyer(client, world):
    response = apply(client, world.shopper)

    assert response.status_code == 302 and response["Location"] == url("storefront:institution_applications")
    school = Organisation.objects.get(credit_code=SCHOOL_CODE)
    assert school.status == Organisation.Status.APPLIED and school.verified_at is None
    assert school.invoice_title == "德州市第一中学" and school.tax_number == SCHOOL_CODE  # defaults
    assert [(m.user, m.role) for m in school.memberships.all()] == [(world.shopper, Membership.Role.BUYER)]
    assert school.addresses.get().street == "新湖大街1号"
    assert [(c.from_status, c.to_status, c.actor) for c in school.changes.all()] == [("", "applied", world.shopper)]
    status_page = client.get(url("storefront:institution_applications")).content.decode()
    assert "德州市第一中学" in status_page


def test_signing_in_comes_before_applying(client, world):
    response = client.post(url("storefront:institution_apply"), application())

    assert response.status_code == 302 and url("storefront:login") in response["Location"]
    assert not Organisation.objects.filter(credit_code=SCHOOL_CODE).exists()


def test_a_code_already_registered_is_refused_with_a_message(client, world):
    response = apply(client, world.shopper, credit_code=world.union.credit_code)

    assert response.status_code == 200
    assert "already registered or applying" in response.content.decode()
    assert Organisation.objects.filter(credit_code=world.union.credit_code).count() == 1


def test_verified_the_applicant_is_told_and_sees_the_organisation_in_the_back_office(client, world):
    apply(client, world.shopper)
    school = Organisation.objects.get(credit_code=SCHOOL_CODE)
    login(client, world.operator)

    form = client.get(url("organisation:decide", school.pk, "verify"))
    response = client.post(url("organisation:decide", school.pk, "verify"), {"reason": ""})

    assert form.status_code == 200
    assert response.status_code == 302
    school.refresh_from_db()
    assert school.status == Organisation.Status.VERIFIED
    assert school.verified_by == world.operator and school.verified_at is not None
    assert school.changes.first().actor == world.operator
    sent = Notification.objects.filter(template="organisation_verified")
    assert {(n.channel, n.recipient) for n in sent} == {("sms", "13700137000"), ("email", "school@example.com")}
    assert sent.get(channel="sms").payload == {"organisation": "德州市第一中学"}

    login(client, world.shopper)
    listing = client.get(url("organisation:index"))
    inspect = client.get(url("organisation:inspect", school.pk))
    assert list(listing.context["object_list"]) == [school]
    assert inspect.status_code == 200 and "新湖大街1号" in inspect.content.decode()


def test_rejected_with_a_reason_the_applicant_reads_it_and_may_apply_again(client, world):
    apply(client, world.shopper)
    school = Organisation.objects.get(credit_code=SCHOOL_CODE)
    login(client, world.operator)

    without = client.post(url("organisation:decide", school.pk, "reject"), {"reason": " "})
    response = client.post(url("organisation:decide", school.pk, "reject"), {"reason": "证明材料模糊，请重新上传"})

    assert without.status_code == 200 and "A reason is required." in without.content.decode()
    assert response.status_code == 302
    school.refresh_from_db()
    assert school.status == Organisation.Status.REJECTED
    assert school.changes.first().reason == "证明材料模糊，请重新上传"
    sms = Notification.objects.get(template="organisation_rejected", channel="sms")
    assert sms.payload == {"organisation": "德州市第一中学", "reason": "证明材料模糊，请重新上传"}
    assert Notification.objects.filter(template="organisation_rejected", channel="email").exists()

    again = apply(client, world.shopper, proof=proof("清晰的证明.pdf"))
    assert again.status_code == 302
    assert Organisation.objects.filter(credit_code=SCHOOL_CODE).count() == 2


def test_a_decided_application_cannot_be_decided_again(world):
    with pytest.raises(OrganisationError):
        decide(world.union, "verify", actor=world.operator)
    with pytest.raises(OrganisationError):
        decide(world.union, "reject", actor=world.operator, reason="重复")


def test_members_and_other_shoppers_cannot_decide(client, world):
    with pytest.raises(OrganisationError):
        decide(world.union, "suspend", actor=world.ann, reason="自己停用")

    response = login(client, world.ann).post(url("organisation:decide", world.union.pk, "suspend"), {"reason": "x"})

    assert response.status_code == 404
    world.union.refresh_from_db()
    assert world.union.status == Organisation.Status.VERIFIED


def test_suspended_and_reinstated_with_reasons_in_the_history(client, world):
    decide(world.union, "suspend", actor=world.operator, reason="资料过期")
    decide(world.union, "reinstate", actor=world.operator, reason="已更新资料")

    assert [c.to_status for c in world.union.changes.order_by("created_at", "pk")] == [
        "verified",
        "suspended",
        "verified",
    ]
    page = login(client, world.operator).get(url("organisation:inspect", world.union.pk)).content.decode()
    assert "资料过期" in page and "已更新资料" in page


def test_the_members_role_follows_their_memberships(world):
    group = Group.objects.get(name=roles.ORGANISATION_MEMBERS)

    assert group in world.ann.groups.all() and group not in world.shopper.groups.all()
    world.ann.memberships.all().delete()
    assert group not in world.ann.groups.all()


def test_applications_beyond_the_limit_get_429_and_nothing_is_stored(client, world, settings, monkeypatch):
    monkeypatch.setattr(ratelimit, "time", SimpleNamespace(time=lambda: 1_800_000_000.0))
    settings.INSTITUTION_APPLY_RATE_LIMIT = "2/h"
    login(client, world.shopper)
    codes = ["12371400MB3456780", "12371400MB3456781", "12371400MB3456782"]

    responses = [
        client.post(url("storefront:institution_apply"), application(credit_code=credit_code(code[:17]), name=code))
        for code in codes
    ]

    assert [r.status_code for r in responses] == [302, 302, 429]
    assert responses[2]["Retry-After"] == "3600"
    assert Organisation.objects.filter(status=Organisation.Status.APPLIED).count() == 2
    assert client.get(url("storefront:institution_apply")).status_code == 200  # reading the form is not limited


def test_the_proof_is_private_and_served_only_within_the_scope(client, world, settings):
    apply(client, world.shopper)
    school = Organisation.objects.get(credit_code=SCHOOL_CODE)

    assert not school.proof.path.startswith(f"{settings.MEDIA_ROOT}/")  # never served as media
    assert client.get(f"{settings.MEDIA_URL}{school.proof.name}").status_code == 404
    own = login(client, world.shopper).get(url("organisation:proof", school.pk))
    operator = login(client, world.operator).get(url("organisation:proof", school.pk))
    other = login(client, world.ann).get(url("organisation:proof", school.pk))
    assert own.status_code == 200 and b"".join(own.streaming_content) == b"%PDF-1.4 licence scan"
    assert operator.status_code == 200
    assert other.status_code == 404
