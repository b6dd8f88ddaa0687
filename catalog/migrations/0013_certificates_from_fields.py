"""Today's certificate fields become approved certificate records (their history says "migrated"); the
roles get the certificate permissions. The old columns go in 0014."""

import datetime

from django.db import migrations
from django.utils import timezone

from core.roles import sync_roles

MARKS = ("geographical_indication", "green_food", "organic")
OPEN_ENDED = datetime.date(9999, 12, 31)  # the marks had no validity: open-ended until an operator revokes them
REASON = "Migrated from the certificate fields of the %s (number, issuer and validity as they were)"


def migrate_certificates(apps, schema_editor):
    Certificate = apps.get_model("catalog", "Certificate")
    CertificateChange = apps.get_model("catalog", "CertificateChange")
    Merchant = apps.get_model("catalog", "Merchant")
    Product = apps.get_model("catalog", "Product")
    today = timezone.localdate()

    def create(merchant, kind, number, issuer, valid_from, valid_until, products, holder):
        status = "expired" if valid_until < today else "approved"
        certificate = Certificate.objects.create(
            kind=kind,
            number=number,
            issuer=issuer,
            merchant=merchant,
            scope="products" if products else "producer",
            valid_from=min(valid_from, valid_until),
            valid_until=valid_until,
            status=status,
        )
        certificate.products.set(products)
        CertificateChange.objects.create(
            certificate=certificate, from_status="", to_status=status, reason=REASON % holder
        )

    for merchant in Merchant.objects.order_by("pk"):
        since = timezone.localtime(merchant.created_at).date()
        if merchant.aid_certificate_number and merchant.aid_certificate_valid_until:
            create(
                merchant,
                "aid",
                merchant.aid_certificate_number,
                merchant.aid_certificate_issuer,
                since,
                merchant.aid_certificate_valid_until,
                [],
                "merchant",
            )
        for mark in MARKS:
            if getattr(merchant, mark):
                create(merchant, mark, "", "", since, OPEN_ENDED, [], "merchant")
        products = list(Product.objects.filter(merchant=merchant).order_by("pk"))
        certified: dict[tuple, list] = {}
        for product in products:
            if product.aid_certificate_number and product.aid_certificate_valid_until:
                key = (
                    product.aid_certificate_number,
                    product.aid_certificate_issuer,
                    product.aid_certificate_valid_until,
                )
                certified.setdefault(key, []).append(product)
        for (number, issuer, valid_until), listed in certified.items():
            first = min(timezone.localtime(p.created_at).date() for p in listed)
            create(merchant, "aid", number, issuer, first, valid_until, listed, "product")
        for mark in MARKS:
            listed = [product for product in products if getattr(product, mark)]
            if listed:
                first = min(timezone.localtime(p.created_at).date() for p in listed)
                create(merchant, mark, "", "", first, OPEN_ENDED, listed, "product")


def apply_roles(apps, schema_editor):
    sync_roles(apps)


class Migration(migrations.Migration):
    dependencies = [("catalog", "0012_certificates")]

    operations = [
        migrations.RunPython(migrate_certificates, migrations.RunPython.noop),
        migrations.RunPython(apply_roles, migrations.RunPython.noop),
    ]
