"""A batch's public page, ``/trace/<code>/`` (issue 18, part 6): what a counter pack's QR label opens. It shows
the batch (product, code, date, origin), the producer's story and the certificate that covered the batch when it
was received; never the evidence, who received it or the stock. Acceptance: "A counter pack's QR opens its batch
page; the batch shows on the stock ledger."
"""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from catalog.models import Certificate
from catalog.services import receive_batch
from core.qr import qr_svg
from tests import factories
from tests.catalog.admin_world import url
from tests.fixtures.http import login

LATER = datetime.date(2031, 6, 30)
HARVEST = datetime.date(2026, 11, 2)


@pytest.fixture
def certificate(world) -> Certificate:
    certificate = factories.make_certificate(
        world.merchant_a, LATER, number="XS-2026-118", issuer="秀山县农业农村委员会"
    )
    certificate.evidence = SimpleUploadedFile("scan-secret-evidence.pdf", b"%PDF-1.4 evidence")
    certificate.save()
    return certificate


@pytest.fixture
def batch(world, certificate):
    merchant = world.merchant_a
    merchant.summary = "红安镇的山茶油合作社，带动三百户茶农。"
    merchant.description = "<p>我们在海拔八百米的山上种油茶，冷榨出油。</p>"
    merchant.save()
    world.operator.first_name, world.operator.last_name = "运营", "王小二"
    world.operator.save()
    movement = receive_batch(
        variant=world.variant_a,
        location=world.counter1,
        quantity=9137,
        actor=world.operator,
        reason="十一月第二批到货 内部备注",
        produced_on=HARVEST,
        origin="钟灵镇凉桥村",
        certificate=certificate,
    )
    return movement.batch


def trace(code: str, language: str = "zh") -> str:
    response = Client().get(f"{'/en' if language == 'en' else ''}/trace/{code}/")
    assert response.status_code == 200
    return response.content.decode()


def test_the_page_shows_the_batch_its_producer_and_its_certificate(world, batch, certificate):
    page = trace(batch.code)

    assert batch.code in page
    assert world.product_a.name in page and world.variant_a.name in page
    assert "2026" in page and "钟灵镇凉桥村" in page
    assert world.merchant_a.name in page
    assert "带动三百户茶农" in page and "冷榨出油" in page
    assert f'href="/merchants/{world.merchant_a.slug}/"' in page
    assert "XS-2026-118" in page and "秀山县农业农村委员会" in page
    assert f'href="/certified/#certificate-{certificate.pk}"' in page
    assert f'href="{world.product_a.get_absolute_url()}"' in page


def test_the_code_is_read_as_printed(batch):
    assert batch.code in trace(f"{batch.code.lower()}")


def test_an_unknown_code_is_not_found(batch):
    client = Client()
    for code in ("ZZZZZZZZ", "x" * 40, batch.code + "2"):
        assert client.get(f"/trace/{code}/").status_code == 404
    assert client.post(f"/trace/{batch.code}/").status_code == 405


def test_the_page_never_shows_evidence_staff_or_stock(world, batch):
    page = trace(batch.code)

    for private in ("scan-secret-evidence", "evidence", "王小二", "operator", "内部备注", "德百专柜", "9137"):
        assert private not in page, private


def test_a_certificate_expired_since_says_it_was_valid_when_received(world, batch, certificate):
    Certificate.objects.filter(pk=certificate.pk).update(
        valid_until=timezone.localdate() - datetime.timedelta(days=1), status=Certificate.Status.EXPIRED
    )

    page = trace(batch.code)

    assert "XS-2026-118" in page
    assert "/certified/#certificate-" not in page
    assert "data-certificate-lapsed" in page


def test_a_batch_without_a_certificate_says_so(world):
    movement = receive_batch(
        variant=world.variant_b,
        location=world.counter2,
        quantity=5,
        actor=world.operator,
        reason="到货",
        produced_on=HARVEST,
        origin="洪安镇",
    )

    page = trace(movement.batch.code)

    assert "/certified/#certificate-" not in page
    assert world.product_b.name in page


def test_the_english_page_renders(world, batch):
    page = trace(batch.code, "en")

    assert '<html lang="en"' in page
    assert "Harvest or production date" in page and "Consumption-aid certificate" in page
    assert batch.code in page
    assert 'lang="zh-Hans"' in page  # the Chinese-only origin and story are marked as Chinese


# -- The counter pack's QR label ------------------------------------------------------------


def test_a_counter_packs_qr_label_opens_its_batch_page(client, settings, world, batch):
    """The acceptance line: the label's QR is ``qr_svg`` of the absolute trace URL, which opens the batch page;
    the same batch shows on the stock ledger."""
    settings.WAGTAILADMIN_BASE_URL = "https://shop.example.cn"
    trace_url = f"https://shop.example.cn/trace/{batch.code}/"

    labels = login(client, world.carol).get(url("counter:batch_labels", world.counter1.pk, batch.pk), {"count": 3})

    assert labels.status_code == 200
    page = labels.content.decode()
    assert f'data-trace-url="{trace_url}"' in page
    assert labels.context["trace_url"] == trace_url
    drawn = qr_svg(trace_url, label=f"QR code of batch {batch.code}", css_class="batch-label__qr")
    assert page.count(drawn) == 3  # three labels, each with the QR of that URL
    assert batch.code in page and world.product_a.name in page and "2026-11-02" in page
    assert batch.code in trace(batch.code)  # the URL's path opens the batch page
    ledger = login(client, world.operator).get(url("stock_ledger:index")).content.decode()
    assert f'data-batch-code="{batch.code}"' in ledger
