"""The public register of certificates, ``/certified/`` (issue 18, part 4): the approved certificates valid
today by producer, as counties publish them (公示), each product page linking its entry; never the evidence,
the submitter or a certificate that is submitted, rejected, expired or revoked."""

import datetime
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from catalog.certificates import revoke_certificate
from catalog.models import Certificate
from catalog.regions import XiushanTownship
from tests import factories

LATER = datetime.date(2031, 6, 30)


def register(language: str = "zh", query: str = "", client: Client | None = None) -> str:
    response = (client or Client()).get(f"{'/en' if language == 'en' else ''}/certified/{query}")
    assert response.status_code == 200
    return response.content.decode()


def entry(page: str, anchor: str) -> str:
    """The HTML of the register's entry (a producer's or a certificate's) with this id."""
    start = rf'<li class="register-[a-z]+" id="{re.escape(anchor)}">'
    end = r'</li>\n\s*(?=<li class="register|</ul>\n\s*(?:<h3|</section>))'
    match = re.search(f"{start}(.*?){end}", page, re.S)
    assert match, anchor
    return match.group(1)


@pytest.fixture
def world(db):
    """An orange cooperative with a producer aid certificate and two public products, one with its own organic
    mark; and a tea workshop in another township whose certificates are all out of the register."""
    oranges = factories.make_merchant("秀山贵措脐橙合作社", slug="guicuo", township=XiushanTownship.HONGAN)
    orange = factories.make_product(oranges, name="贵措脐橙 5kg", name_en="Guicuo navel oranges 5 kg")
    honey = factories.make_product(oranges, name="土蜂蜜")
    factories.make_product(oranges, name="未上架的橙汁", published=False)
    aid = factories.make_certificate(oranges, LATER, number="XSXF-2025-0101")
    organic = factories.make_certificate(
        orange, LATER, kind=Certificate.Kind.ORGANIC, number="OFCC-0101-P", issuer="中绿华夏有机产品认证中心"
    )
    tea = factories.make_merchant("秀山毛尖茶坊", slug="maojian", township=XiushanTownship.ZHONGHE)
    factories.make_product(tea, name="秀山毛尖")
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    out = {
        "expired": factories.make_certificate(
            tea, yesterday, status=Certificate.Status.EXPIRED, number="XSXF-EXPIRED-1"
        ),
        "revoked": factories.make_certificate(tea, LATER, status=Certificate.Status.REVOKED, number="XSXF-REVOKED-2"),
        "submitted": factories.make_certificate(
            tea, LATER, status=Certificate.Status.SUBMITTED, number="XSXF-SUBMITTED-3"
        ),
        "rejected": factories.make_certificate(tea, LATER, status=Certificate.Status.REJECTED, number="XSXF-REJECT-4"),
        "lapsed today": factories.make_certificate(tea, yesterday, number="XSXF-LAPSED-5"),  # not yet marked expired
        "not yet valid": factories.make_certificate(
            tea, LATER, number="XSXF-FUTURE-6", valid_from=timezone.localdate() + datetime.timedelta(days=3)
        ),
    }
    return {"oranges": oranges, "orange": orange, "honey": honey, "aid": aid, "organic": organic, "out": out}


def test_lists_the_approved_certificates_valid_today_by_producer(world):
    page = register()
    producer = entry(page, "merchant-guicuo")
    assert "秀山贵措脐橙合作社" in producer and 'href="/merchants/guicuo/"' in producer
    assert "洪安" in producer or "Hong&#x27;an" in producer  # the township

    aid = entry(page, f"certificate-{world['aid'].pk}")
    assert "XSXF-2025-0101" in aid and "秀山县乡村振兴局" in aid
    assert "Valid until" in aid or "有效期至" in aid
    assert "2031" in aid
    # A producer certificate covers all the producer's products on sale (two: the unpublished one is not).
    assert 'href="/merchants/guicuo/"' in aid and "（在售 2 件）" in aid

    organic = entry(page, f"certificate-{world['organic'].pk}")
    assert "OFCC-0101-P" in organic and "中绿华夏有机产品认证中心" in organic
    assert f'href="/products/{world["orange"].slug}/"' in organic
    assert f'href="/products/{world["honey"].slug}/"' not in organic  # a product certificate lists only its own
    # The aid certificate comes before the quality marks.
    assert page.index("XSXF-2025-0101") < page.index("OFCC-0101-P")


def test_expired_revoked_submitted_and_rejected_certificates_are_never_shown(world):
    page = register()
    for certificate in world["out"].values():
        assert certificate.number not in page
    assert "秀山毛尖茶坊" not in page  # a producer with nothing valid is not on the register
    assert 'id="merchant-maojian"' not in page


def test_a_product_certificate_listing_no_public_product_is_left_out(world):
    hidden = factories.make_product(world["oranges"], name="下架的礼盒", published=False)
    factories.make_certificate(hidden, LATER, kind=Certificate.Kind.GREEN_FOOD, number="LB-HIDDEN")
    inactive = factories.make_merchant("停业的合作社", is_active=False)
    factories.make_product(inactive, name="停业产品")
    factories.make_certificate(inactive, LATER, number="XSXF-INACTIVE")
    page = register()
    assert "LB-HIDDEN" not in page and hidden.slug not in page
    assert "XSXF-INACTIVE" not in page and "停业的合作社" not in page


def test_never_shows_evidence_or_who_submitted(world, settings):
    submitter = factories.make_merchant_user(world["oranges"], "chengzi-member")
    certificate = world["aid"]
    certificate.evidence = SimpleUploadedFile("scan-of-the-certificate.pdf", b"%PDF-1.4 evidence")
    certificate.submitted_by = submitter
    certificate.save()
    page = register()
    assert "XSXF-2025-0101" in page
    assert "scan-of-the-certificate" not in page and "certificates/" not in page
    assert "chengzi-member" not in page
    assert settings.MEDIA_URL not in entry(page, "merchant-guicuo")


def test_the_product_page_links_its_entry_on_the_register(world):
    page = Client().get(f"/products/{world['orange'].slug}/").content.decode()
    link = f'href="/certified/#certificate-{world["aid"].pk}"'
    assert link in page
    certificate_item = page[
        page.index('class="aid-certificate"') : page.index("</li>", page.index('class="aid-certificate"'))
    ]
    assert "XSXF-2025-0101" in certificate_item and link in certificate_item  # next to the certificate
    # The English page links the English register.
    english = Client().get(f"/en/products/{world['orange'].slug}/").content.decode()
    assert f'href="/en/certified/#certificate-{world["aid"].pk}"' in english
    # The entry is there to land on.
    assert f'id="certificate-{world["aid"].pk}"' in register()


def test_a_product_page_without_a_valid_certificate_links_nothing(world):
    tea = factories.make_product(factories.make_merchant("无认定商户"), name="普通茶叶")
    page = Client().get(f"/products/{tea.slug}/").content.decode()
    assert "/certified/#certificate-" not in page


def test_the_english_register_renders(world):
    page = register("en")
    assert '<html lang="en">' in page
    assert "Certified products register" in page
    assert "Guicuo navel oranges 5 kg" in page  # English names where given
    assert 'href="/en/products/' in page and 'href="/en/merchants/guicuo/"' in page
    assert "Valid until" in page and "Consumption-aid certificate" in page and "Organic" in page


def test_the_footer_links_the_register(world):
    assert 'href="/en/certified/"' in Client().get("/en/products/").content.decode()


def test_a_township_filter_shows_that_townships_producers(world):
    other = factories.make_merchant("溪口竹编工坊", slug="zhubian", township=XiushanTownship.XIKOU)
    factories.make_product(other, name="竹编果篮")
    factories.make_certificate(other, LATER, number="XSXF-XIKOU-9")
    assert "XSXF-XIKOU-9" in register() and "XSXF-2025-0101" in register()
    filtered = register(query="?township=xikou")
    assert "XSXF-XIKOU-9" in filtered and "XSXF-2025-0101" not in filtered
    assert "XSXF-2025-0101" in register(query="?township=no-such-place")  # an unknown township: all


@pytest.fixture
def page_cache_on(settings):
    settings.PAGE_CACHE_SECONDS = 300
    settings.FRAGMENT_CACHE_SECONDS = 3600


def test_a_revoked_certificate_disappears_at_once_with_the_page_cache_on(
    world, page_cache_on, operator, django_capture_on_commit_callbacks
):
    product_url = f"/products/{world['orange'].slug}/"
    assert "XSXF-2025-0101" in register()
    assert Client().get("/certified/")["X-Page-Cache"] == "hit"
    assert "XSXF-2025-0101" in Client().get(product_url).content.decode()
    assert Client().get(product_url)["X-Page-Cache"] == "hit"

    with django_capture_on_commit_callbacks(execute=True):
        revoke_certificate(world["aid"], actor=operator, reason="认定被撤销")

    response = Client().get("/certified/")
    assert response["X-Page-Cache"] == "miss"
    page = response.content.decode()
    assert "XSXF-2025-0101" not in page
    assert "OFCC-0101-P" in page  # the organic mark stays
    product_page = Client().get(product_url).content.decode()
    assert "XSXF-2025-0101" not in product_page and "/certified/#certificate-" not in product_page


def test_a_product_added_to_a_certificate_shows_at_once_with_the_page_cache_on(
    world, page_cache_on, django_capture_on_commit_callbacks
):
    honey = f'href="/products/{world["honey"].slug}/"'
    assert honey not in entry(register(), f"certificate-{world['organic'].pk}")
    with django_capture_on_commit_callbacks(execute=True):
        world["organic"].products.add(world["honey"])
    assert honey in entry(register(), f"certificate-{world['organic'].pk}")


def test_the_register_costs_the_same_queries_for_one_producer_as_for_many(world):
    register()  # warm the menus and settings
    with CaptureQueriesContext(connection) as few:
        register()
    for i in range(6):
        merchant = factories.make_merchant(f"合作社{i}")
        product = factories.make_product(merchant)
        factories.make_certificate(merchant, LATER, number=f"XSXF-MANY-{i}")
        factories.make_certificate(product, LATER, kind=Certificate.Kind.GREEN_FOOD, number=f"LB-MANY-{i}")
    with CaptureQueriesContext(connection) as many:
        page = register()
    assert "XSXF-MANY-5" in page and "LB-MANY-5" in page
    assert len(many) == len(few)


def test_the_sitemap_lists_the_register_in_both_languages(db):
    sitemap = Client().get("/sitemap.xml").content.decode()
    assert "<loc>http://testserver/certified/</loc>" in sitemap
    assert "<loc>http://testserver/en/certified/</loc>" in sitemap
