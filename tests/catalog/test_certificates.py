"""Certificates are records granted by operators: merchants submit them with evidence, operators approve,
reject or revoke them with a reason, every change is kept with who and why, and each merchant sees and acts
on its own only."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from catalog.certificates import (
    CertificateError,
    approve_certificate,
    qualifying_certificate,
    quality_marks,
    revoke_certificate,
    submit_certificate,
)
from catalog.models import Certificate
from orders.aid.services import check_certificates
from orders.models import AidSettings
from tests import factories
from tests.catalog.admin_world import url
from tests.fixtures.http import login, messages_of

TODAY = timezone.localdate()
YESTERDAY = TODAY - datetime.timedelta(days=1)


@pytest.fixture
def world(db):
    from tests.catalog.admin_world import build_world

    return build_world()


def evidence(name: str = "证书.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"%PDF-1.4 scan of the certificate", content_type="application/pdf")


def submission(merchant, **extra) -> dict:
    return {
        "merchant": merchant.pk,
        "kind": Certificate.Kind.AID,
        "number": "XSXF-2026-0042",
        "issuer": "秀山县乡村振兴局",
        "valid_from": "2026-01-01",
        "valid_until": "2099-12-31",
        "evidence": evidence(),
        **extra,
    }


def submit_as(client, user, merchant, **extra):
    return login(client, user).post(url("certificate:submit"), submission(merchant, **extra))


def hide_expired(on: bool) -> None:
    settings = AidSettings.load()
    settings.hide_expired_products = on
    settings.save()


def history(certificate: Certificate) -> list[tuple]:
    return [
        (change.from_status, change.to_status, change.actor and change.actor.username, change.reason)
        for change in certificate.changes.order_by("created_at", "pk")
    ]


# -- Submit, then review -----------------------------------------------------------------


def test_a_submitted_certificate_qualifies_nothing_until_an_operator_approves_it(client, world):
    response = submit_as(client, world.alice, world.merchant_a)

    certificate = Certificate.objects.get()
    assert response.status_code == 302 and response.url == url("certificate:inspect", certificate.pk)
    assert (certificate.status, certificate.scope, certificate.submitted_by) == ("submitted", "producer", world.alice)
    assert qualifying_certificate(world.product_a) is None
    client.logout()
    page = client.get(world.product_a.get_absolute_url()).content.decode()
    assert "XSXF-2026-0042" not in page and "badge--aid" not in page

    login(client, world.operator)
    inspect = client.get(url("certificate:inspect", certificate.pk)).content.decode()
    assert url("certificate:review", certificate.pk, "approve") in inspect
    approved = client.post(url("certificate:review", certificate.pk, "approve"), {"reason": "公示期满无异议"})

    assert approved.status_code == 302
    assert qualifying_certificate(world.product_a) == certificate
    assert "XSXF-2026-0042" in Client().get(world.product_a.get_absolute_url()).content.decode()
    assert history(certificate) == [
        ("", "submitted", "alice", "Submitted for review"),
        ("submitted", "approved", "operator", "公示期满无异议"),
    ]
    inspect = client.get(url("certificate:inspect", certificate.pk)).content.decode()
    assert "公示期满无异议" in inspect and "Submitted for review" in inspect


def test_a_certificate_of_listed_products_covers_those_only(client, world):
    other = factories.make_product(world.merchant_a)
    submit_as(client, world.alice, world.merchant_a, products=[world.product_a.pk])
    certificate = Certificate.objects.get()
    approve_certificate(certificate, actor=world.operator, reason="核实")

    assert certificate.scope == "products" and list(certificate.products.all()) == [world.product_a]
    assert qualifying_certificate(world.product_a) == certificate
    assert qualifying_certificate(other) is None


def test_an_operator_rejects_with_a_reason_and_the_certificate_stays_unqualified(client, world):
    submit_as(client, world.alice, world.merchant_a)
    certificate = Certificate.objects.get()

    login(client, world.operator).post(url("certificate:review", certificate.pk, "reject"), {"reason": "证书号查无"})
    without_reason = client.post(url("certificate:review", certificate.pk, "approve"), {"reason": ""})

    certificate.refresh_from_db()
    assert certificate.status == "rejected" and qualifying_certificate(world.product_a) is None
    assert history(certificate)[-1] == ("submitted", "rejected", "operator", "证书号查无")
    assert without_reason.status_code == 302  # a rejected certificate cannot be approved any more
    assert "cannot be changed" in " ".join(messages_of(client.get(without_reason.url)))


def test_a_review_needs_a_reason(client, world):
    submit_as(client, world.alice, world.merchant_a)
    certificate = Certificate.objects.get()

    response = login(client, world.operator).post(url("certificate:review", certificate.pk, "approve"), {"reason": ""})

    assert response.status_code == 200 and response.context["form"].errors
    assert Certificate.objects.get().status == "submitted"


def test_the_submit_form_requires_evidence_and_refuses_other_files(client, world):
    login(client, world.alice)
    without = client.post(url("certificate:submit"), {**submission(world.merchant_a), "evidence": ""})
    script = client.post(url("certificate:submit"), submission(world.merchant_a, evidence=evidence("x.html")))

    assert without.status_code == 200 and "evidence" in without.context["form"].errors
    assert script.status_code == 200 and "evidence" in script.context["form"].errors
    assert not Certificate.objects.exists()


# -- What a merchant cannot do -----------------------------------------------------------


def test_a_merchant_cannot_approve_its_own_certificate(client, world):
    submit_as(client, world.alice, world.merchant_a)
    certificate = Certificate.objects.get()

    page = client.get(url("certificate:inspect", certificate.pk)).content.decode()
    posted = client.post(url("certificate:review", certificate.pk, "approve"), {"reason": "我自己批"})

    assert url("certificate:review", certificate.pk, "approve") not in page
    assert posted.status_code == 404
    with pytest.raises(CertificateError):
        approve_certificate(certificate, actor=world.alice, reason="我自己批")
    assert Certificate.objects.get().status == "submitted"


def test_an_operator_who_is_a_member_cannot_review_that_merchants_certificate(world):
    world.merchant_a.members.add(world.operator)
    certificate = factories.make_certificate(world.merchant_a, TODAY, status=Certificate.Status.SUBMITTED)

    with pytest.raises(CertificateError):
        approve_certificate(certificate, actor=world.operator, reason="自审")
    assert Certificate.objects.get().status == "submitted"


def test_a_merchant_cannot_give_itself_quality_marks(client, world):
    submit_as(client, world.alice, world.merchant_a, kind=Certificate.Kind.ORGANIC, number="OFCC-FAKE")
    submit_as(client, world.alice, world.merchant_a, kind=Certificate.Kind.GREEN_FOOD, number="LB-FAKE")

    assert quality_marks(world.product_a) == set()
    client.logout()
    page = client.get(world.product_a.get_absolute_url()).content.decode()
    assert "badge--organic" not in page and "badge--green" not in page

    organic = Certificate.objects.get(kind=Certificate.Kind.ORGANIC)
    approve_certificate(organic, actor=world.operator, reason="查验有机证书")
    assert quality_marks(world.product_a) == {"organic"}
    assert "badge--organic" in client.get(world.product_a.get_absolute_url()).content.decode()


def test_an_expired_producer_cannot_type_its_way_back_on_sale(client, world):
    """The issue's regression: a producer certificate expired (products hidden); a made-up product certificate
    valid to 2099 does not bring the product back; only an operator's approval does."""
    hide_expired(True)
    factories.make_certificate(world.merchant_a, YESTERDAY, number="XSXF-2023-0001")
    assert client.get(world.product_a.get_absolute_url()).status_code == 404

    submit_as(client, world.alice, world.merchant_a, number="FAKE-2099", products=[world.product_a.pk])
    client.logout()

    assert client.get(world.product_a.get_absolute_url()).status_code == 404
    approve_certificate(Certificate.objects.get(number="FAKE-2099"), actor=world.operator, reason="核实后认定")
    assert client.get(world.product_a.get_absolute_url()).status_code == 200


@pytest.mark.parametrize("hiding", [True, False], ids=["hiding", "not-hiding"])
def test_revoking_hides_the_products_when_the_setting_says_so_and_is_recorded(client, world, hiding):
    hide_expired(hiding)
    certificate = factories.make_certificate(world.merchant_a, TODAY + datetime.timedelta(days=300))
    assert "Consumption-aid certified" in client.get(world.product_a.get_absolute_url()).content.decode()

    login(client, world.operator).post(url("certificate:review", certificate.pk, "revoke"), {"reason": "抽检不合格"})
    client.logout()

    page = client.get(world.product_a.get_absolute_url())
    assert page.status_code == (404 if hiding else 200)
    assert "Consumption-aid" not in page.content.decode()
    assert client.get(world.product_b.get_absolute_url()).status_code == 200  # another merchant's
    assert history(certificate)[-1] == ("approved", "revoked", "operator", "抽检不合格")


def test_the_daily_check_records_expiry_in_the_history(world):
    certificate = factories.make_certificate(world.merchant_a, YESTERDAY)

    check_certificates()

    certificate.refresh_from_db()
    assert certificate.status == "expired"
    assert history(certificate)[-1] == ("approved", "expired", None, f"Validity ended on {YESTERDAY.isoformat()}")
    revoke_certificate(certificate, actor=world.operator, reason="过期后撤销")  # still revocable


# -- Isolation ---------------------------------------------------------------------------


@pytest.fixture
def alices(world) -> Certificate:
    return submit_certificate(
        merchant=world.merchant_a,
        kind=Certificate.Kind.AID,
        number="XSXF-A-1",
        issuer="秀山县乡村振兴局",
        valid_from=TODAY,
        valid_until=TODAY + datetime.timedelta(days=30),
        evidence=evidence(),
        actor=world.alice,
    )


def test_each_merchant_lists_its_own_certificates_operators_all(client, world, alices):
    bobs = factories.make_certificate(world.merchant_b, TODAY, number="XSXF-B-1")

    alice = login(client, world.alice).get(url("certificate:index"))
    searched = client.get(url("certificate:index"), {"q": "XSXF-B"})
    bob = login(client, world.bob).get(url("certificate:index"))
    operator = login(client, world.operator).get(url("certificate:index"))

    assert list(alice.context["object_list"]) == [alices]
    assert "XSXF-B-1" not in alice.content.decode() and list(searched.context["object_list"]) == []
    assert list(bob.context["object_list"]) == [bobs]
    assert set(operator.context["object_list"]) == {alices, bobs}


@pytest.mark.parametrize(
    "name, args",
    [
        ("certificate:inspect", ()),
        ("certificate:evidence", ()),
        ("certificate:review", ("approve",)),
        ("certificate:review", ("reject",)),
        ("certificate:review", ("revoke",)),
    ],
)
def test_another_merchants_certificate_is_not_found(client, world, alices, name, args):
    login(client, world.bob)

    assert client.get(url(name, alices.pk, *args)).status_code == 404
    assert client.post(url(name, alices.pk, *args), {"reason": "x"}).status_code in (404, 405)
    assert Certificate.objects.get().status == "submitted"


def test_the_evidence_is_private_and_served_to_the_merchant_and_operators(client, world, alices, settings):
    assert not alices.evidence.path.startswith(f"{settings.MEDIA_ROOT}/")  # never served as media
    own = login(client, world.alice).get(url("certificate:evidence", alices.pk))
    operator = login(client, world.operator).get(url("certificate:evidence", alices.pk))
    client.logout()
    anonymous = client.get(url("certificate:evidence", alices.pk))

    assert b"".join(own.streaming_content).startswith(b"%PDF")
    assert operator.status_code == 200
    assert anonymous.status_code == 302  # to the log-in page


def test_a_merchant_cannot_submit_for_another_merchant_or_its_products(client, world):
    form = login(client, world.alice).get(url("certificate:submit")).context["form"]
    other_merchant = client.post(url("certificate:submit"), submission(world.merchant_b))
    other_product = client.post(url("certificate:submit"), submission(world.merchant_a, products=[world.product_b.pk]))

    assert list(form.fields["merchant"].queryset) == [world.merchant_a]
    assert list(form.fields["products"].queryset) == [world.product_a]
    assert other_merchant.status_code == 200 and "merchant" in other_merchant.context["form"].errors
    assert other_product.status_code == 200 and "products" in other_product.context["form"].errors
    with pytest.raises(CertificateError):
        submit_certificate(
            merchant=world.merchant_b,
            kind=Certificate.Kind.AID,
            number="X",
            issuer="Y",
            valid_from=TODAY,
            valid_until=TODAY,
            evidence=evidence(),
            actor=world.alice,
        )
    assert not Certificate.objects.exists()


def test_counter_staff_and_editors_see_no_certificates(client, world, alices):
    editor = factories.make_user("editor", group="Editors")

    assert login(client, world.carol).get(url("certificate:index")).status_code == 302
    listing = login(client, editor).get(url("certificate:index"))
    assert listing.status_code == 302
    with pytest.raises(CertificateError):
        approve_certificate(alices, actor=editor, reason="编辑不能审核")


def test_a_stock_import_cannot_certify_or_badge_a_product(client, world):
    """The back office's only CSV import (stock counts): certificate or mark columns added to the file change
    nothing but the counts."""
    sku = world.product_a.variants.first().sku
    header = "sku,location,on_hand,reason,organic,aid_certificate_number,aid_certificate_valid_until"
    text = f"{header}\n{sku},xs-wh,40,,on,FAKE-2099,2099-12-31\n"
    login(client, world.alice)

    client.post(url("stock:import"), {"file": SimpleUploadedFile("count.csv", text.encode()), "reason": "盘点"})

    assert qualifying_certificate(world.product_a) is None
    assert quality_marks(world.product_a) == set()
    assert not Certificate.objects.exists()
