"""Bulk order drafts: a buyer creates one, adds lines and uploads recipients (all or nothing, line-numbered
errors); members of another organisation, approvers and signed-out visitors cannot change it."""

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook

from catalog.models import Pack, PackItem
from orders.institutions.recipients import MAX_ROWS
from orders.models import BulkOrder, Membership
from tests import factories
from tests.fixtures.http import login, messages_of
from tests.institutions.world import url

pytestmark = pytest.mark.django_db

HEADER = ["name", "phone", "province", "city", "district", "street", "pack", "sku", "quantity"]


@pytest.fixture
def shop(world):
    """A published gift pack, a variant, and a draft of the union (ann is its buyer and approver)."""
    product = factories.make_product(name="秀山土家腊肉", price=6800)
    variant = product.variants.get()
    pack = Pack.objects.create(name="中秋礼包", slug="mid-autumn", price=6000, is_published=True)
    PackItem.objects.create(pack=pack, variant=variant, quantity=1)
    draft = BulkOrder.objects.create(
        organisation=world.union, created_by=world.ann, address=world.union.addresses.get()
    )
    return {"pack": pack, "variant": variant, "draft": draft}


def person(i: int, pack: str = "mid-autumn", sku: str = "", quantity: str = "1") -> list[str]:
    return [f"职工{i}", f"139{i:08d}", "山东省", "德州市", "德城区", f"天衢路{i}号", pack, sku, quantity]


def csv_bytes(rows: list[list[str]], encoding: str = "utf-8") -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(HEADER)
    writer.writerows(rows)
    return buffer.getvalue().encode(encoding)


def xlsx_bytes(rows: list[list]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(HEADER)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def upload(client, draft, data: bytes, name: str = "recipients.csv"):
    return client.post(url("storefront:bulk_upload", draft.pk), {"file": SimpleUploadedFile(name, data)})


def recipients_of(draft) -> list[tuple[str, str]]:
    return list(draft.recipients.order_by("line_number").values_list("name", "phone"))


def test_a_buyer_uploads_300_recipients_in_one_go(client, world, shop):
    draft = shop["draft"]
    response = upload(login(client, world.ann), draft, csv_bytes([person(i) for i in range(300)]))

    assert response.status_code == 302
    assert draft.recipients.count() == 300
    assert draft.recipients.filter(pack=shop["pack"], quantity=1).count() == 300
    first = draft.recipients.order_by("line_number").first()
    assert (first.line_number, first.name, first.phone, first.street) == (2, "职工0", "13900000000", "天衢路0号")
    draft.refresh_from_db()
    assert draft.delivery == BulkOrder.Delivery.RECIPIENTS and draft.address is None
    assert "300" in messages_of(client.get(url("storefront:bulk_detail", draft.pk)))[0]


def test_a_new_upload_replaces_the_recipients(client, world, shop):
    draft = shop["draft"]
    login(client, world.ann)
    upload(client, draft, csv_bytes([person(i) for i in range(3)]))
    upload(client, draft, csv_bytes([person(7, pack="", sku=shop["variant"].sku, quantity="2")]))

    assert recipients_of(draft) == [("职工7", "13900000007")]
    assert draft.recipients.get().variant == shop["variant"]


BAD_UPLOADS = {
    "missing phone": (
        csv_bytes([person(1), [*person(2)[:1], "", *person(2)[2:]], person(3)]),
        ["Line 3: “phone” is missing."],
    ),
    "invalid phone and quantity": (
        csv_bytes([[*person(1)[:1], "2345678901", *person(1)[2:8], "0"]]),
        [
            "Line 2: “2345678901” is not an 11-digit mobile number starting with 1.",
            "Line 2: Quantity “0” is not a whole number from 1 to 999.",
        ],
    ),
    "unknown pack": (
        csv_bytes([person(1), person(2, pack="no-such-pack")]),
        ["Line 3: Unknown gift pack “no-such-pack”."],
    ),
    "unknown sku": (csv_bytes([person(1, pack="", sku="NOPE-1")]), ["Line 2: Unknown SKU “NOPE-1”."]),
    "duplicate rows": (
        csv_bytes([person(1), person(2), person(1)]),
        ["Line 4: The same as line 2 (recipient, address and item)."],
    ),
    "10,001 rows": (
        csv_bytes([person(i) for i in range(MAX_ROWS + 1)]),
        ["Line 10002: Too many rows (at most 10000)."],
    ),
    "wrong encoding": (
        csv_bytes([person(1)], encoding="utf-16"),
        ["The file is neither UTF-8 nor GB18030 text. In Excel, save it as “CSV UTF-8”."],
    ),
    "empty file": (b"", None),
}


@pytest.mark.parametrize("case", BAD_UPLOADS)
def test_a_bad_upload_is_refused_line_by_line_and_changes_nothing(client, world, shop, case):
    draft = shop["draft"]
    login(client, world.ann)
    client.cookies["django_language"] = "en"
    upload(client, draft, csv_bytes([person(i) for i in range(5)]))
    before = recipients_of(draft)

    data, expected = BAD_UPLOADS[case]
    response = upload(client, draft, data)

    assert response.status_code == 200
    errors = response.context.get("upload_errors") or [
        str(e) for e in response.context["upload_form"].errors.get("file", [])
    ]
    assert errors
    if expected is not None:
        assert errors == expected
    assert recipients_of(draft) == before and len(before) == 5


def test_all_problems_are_reported_at_once_with_their_lines(client, world, shop):
    draft = shop["draft"]
    rows = [person(1), [*person(2)[:1], "", *person(2)[2:]], person(3, pack="no-such-pack"), person(1)]
    response = upload(login(client, world.ann), draft, csv_bytes(rows))

    errors = response.context["upload_errors"]
    assert [error.split(":")[0] for error in errors] == ["Line 3", "Line 4", "Line 5"]
    assert draft.recipients.count() == 0


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("gb18030.csv", lambda: csv_bytes([person(1), person(2, pack="中秋礼包")], encoding="gb18030")),
        ("bom.csv", lambda: "\ufeff".encode() + csv_bytes([person(1), person(2, pack="中秋礼包")])),
        ("recipients.xlsx", lambda: xlsx_bytes([person(1), [*person(2)[:1], 13900000002, *person(2)[2:8], 1]])),
    ],
)
def test_gb18030_utf8_bom_and_xlsx_are_accepted(client, world, shop, name, data):
    draft = shop["draft"]
    response = upload(login(client, world.ann), draft, data(), name=name)

    assert response.status_code == 302
    assert recipients_of(draft) == [("职工1", "13900000001"), ("职工2", "13900000002")]
    assert draft.recipients.filter(pack=shop["pack"]).count() == 2


def test_the_template_csv_round_trips(client, world, shop):
    login(client, world.ann)
    template = client.get(url("storefront:bulk_template"))
    content = template.content.decode("utf-8")
    assert template["Content-Type"].startswith("text/csv") and content.startswith("\ufeffname,phone,")
    filled = template.content + "\r\n".join(",".join(row) for row in [person(1), person(2)]).encode() + b"\r\n"

    response = upload(client, shop["draft"], filled)

    assert response.status_code == 302
    assert recipients_of(shop["draft"]) == [("张三", "13800138000"), ("职工1", "13900000001"), ("职工2", "13900000002")]


def test_a_buyer_creates_a_draft_and_adds_lines(client, world, shop):
    login(client, world.ann)
    response = client.post(
        url("storefront:bulk_new"),
        {"organisation": world.union.pk, "delivery": "address", "address": world.union.addresses.get().pk},
    )
    draft = BulkOrder.objects.exclude(pk=shop["draft"].pk).get()
    assert response.status_code == 302 and draft.organisation == world.union and draft.created_by == world.ann

    client.post(url("storefront:bulk_add_line", draft.pk), {"pack": "mid-autumn", "quantity": 200})
    client.post(url("storefront:bulk_add_line", draft.pk), {"sku": shop["variant"].sku, "quantity": 5})
    client.post(url("storefront:bulk_add_line", draft.pk), {"pack": "mid-autumn", "quantity": 100})

    assert [(line.pack, line.variant, line.quantity) for line in draft.lines.all()] == [
        (shop["pack"], None, 300),
        (None, shop["variant"], 5),
    ]


def test_a_draft_cannot_use_another_organisations_address(client, world, shop):
    response = login(client, world.ann).post(
        url("storefront:bulk_new"),
        {"organisation": world.union.pk, "delivery": "address", "address": world.bureau.addresses.get().pk},
    )

    assert response.status_code == 200 and BulkOrder.objects.count() == 1


def test_another_organisations_members_get_404(client, world, shop):
    draft = shop["draft"]
    Membership.objects.create(organisation=world.bureau, user=world.ben, role=Membership.Role.BUYER)
    login(client, world.ben)

    assert client.get(url("storefront:bulk_detail", draft.pk)).status_code == 404
    assert upload(client, draft, csv_bytes([person(1)])).status_code == 404
    assert (
        client.post(url("storefront:bulk_add_line", draft.pk), {"pack": "mid-autumn", "quantity": 1}).status_code == 404
    )
    assert list(client.get(url("storefront:bulk_list")).context["bulk_orders"]) == []
    assert draft.recipients.count() == 0 and draft.lines.count() == 0


def test_an_approver_sees_but_cannot_edit(client, world, shop):
    draft = shop["draft"]
    Membership.objects.filter(user=world.ann, role=Membership.Role.BUYER).delete()
    login(client, world.ann)

    page = client.get(url("storefront:bulk_detail", draft.pk))
    assert page.status_code == 200 and page.context["editable"] is False
    assert upload(client, draft, csv_bytes([person(1)])).status_code == 403
    assert (
        client.post(url("storefront:bulk_add_line", draft.pk), {"pack": "mid-autumn", "quantity": 1}).status_code == 403
    )
    assert client.get(url("storefront:bulk_new")).status_code == 403
    assert draft.recipients.count() == 0 and draft.lines.count() == 0


def test_a_signed_out_visitor_is_sent_to_sign_in(client, shop):
    draft = shop["draft"]

    assert client.get(url("storefront:bulk_detail", draft.pk)).status_code == 302
    response = upload(client, draft, csv_bytes([person(1)]))
    assert response.status_code == 302 and "/login/" in response["Location"]
    assert draft.recipients.count() == 0


def test_operators_see_every_organisations_drafts(client, world, shop):
    login(client, world.operator)

    assert list(client.get(url("storefront:bulk_list")).context["bulk_orders"]) == [shop["draft"]]
    assert client.get(url("storefront:bulk_detail", shop["draft"].pk)).status_code == 200
