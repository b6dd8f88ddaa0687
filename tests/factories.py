"""Small builders for test data. Each call makes distinct rows (unique names, slugs, SKUs)."""

import datetime
import itertools

from django.contrib.auth.models import Group, User

from catalog.models import Category, Certificate, CertificateChange, Location, Merchant, Product, Variant
from catalog.regions import DezhouCounty, XiushanTownship
from core import roles

_seq = itertools.count(1)


def n() -> int:
    return next(_seq)


def make_user(username: str | None = None, *, group: str | None = None, superuser: bool = False, **extra) -> User:
    username = username or f"user{n()}"
    if superuser:
        user = User.objects.create_superuser(username=username, password="pw", email=f"{username}@example.com")
    else:
        user = User.objects.create_user(username=username, password="pw", email=f"{username}@example.com", **extra)
    if group:
        user.groups.add(Group.objects.get(name=group))
    return user


def make_merchant(name: str | None = None, *, members: tuple = (), **extra) -> Merchant:
    i = n()
    fields = {
        "name": name or f"商户{i}",
        "slug": f"merchant-{i}",
        "kind": Merchant.Kind.COOPERATIVE,
        "township": XiushanTownship.HONGAN,
        "paired_county": DezhouCounty.DECHENG,
        **extra,
    }
    merchant = Merchant.objects.create(**fields)
    merchant.members.add(*members)
    return merchant


def make_merchant_user(merchant: Merchant, username: str | None = None) -> User:
    user = make_user(username, group=roles.MERCHANTS)
    merchant.members.add(user)
    return user


def make_category(name: str | None = None) -> Category:
    i = n()
    return Category.objects.create(name=name or f"类目{i}", slug=f"category-{i}")


def make_product(
    merchant: Merchant | None = None,
    *,
    category: Category | None = None,
    name: str | None = None,
    published: bool = True,
    variants: int = 1,
    price: int = 1000,
    **extra,
) -> Product:
    i = n()
    product = Product.objects.create(
        merchant=merchant or make_merchant(),
        category=category or make_category(),
        name=name or f"产品{i}",
        slug=f"product-{i}",
        is_published=published,
        **extra,
    )
    for j in range(variants):
        Variant.objects.create(
            product=product, sku=f"SKU-{i}-{j}", name=f"规格{j}", price=price + j * 100, sort_order=j
        )
    return product


def make_location(kind: str = Location.Kind.COUNTER, *, staff: tuple = (), **extra) -> Location:
    i = n()
    fields = {
        "kind": kind,
        "name": f"专柜{i}" if kind == Location.Kind.COUNTER else f"仓库{i}",
        "code": f"loc-{i}",
        "county": DezhouCounty.DECHENG if kind == Location.Kind.COUNTER else "",
        "address": f"德州市某路{i}号",
        **extra,
    }
    location = Location.objects.create(**fields)
    location.staff.add(*staff)
    return location


def make_certificate(
    holder: Merchant | Product,
    valid_until: datetime.date,
    *,
    kind: str = Certificate.Kind.AID,
    status: str = Certificate.Status.APPROVED,
    number: str = "XS-2026-007",
    issuer: str = "秀山县乡村振兴局",
    valid_from: datetime.date | None = None,
) -> Certificate:
    """A certificate of a merchant (producer scope) or of one product, already in ``status`` (approved: as
    an operator granted it), with its history entry."""
    merchant = holder if isinstance(holder, Merchant) else holder.merchant
    certificate = Certificate.objects.create(
        kind=kind,
        number=number,
        issuer=issuer,
        merchant=merchant,
        scope=Certificate.Scope.PRODUCER if isinstance(holder, Merchant) else Certificate.Scope.PRODUCTS,
        valid_from=valid_from or min(valid_until, datetime.date(2020, 1, 1)),
        valid_until=valid_until,
        status=status,
    )
    if isinstance(holder, Product):
        certificate.products.add(holder)
    CertificateChange.objects.create(certificate=certificate, to_status=status, reason="test")
    return certificate
