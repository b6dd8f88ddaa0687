"""Two verified organisations with their members, an operator and a shopper, for the institutions tests."""

from dataclasses import dataclass

from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from core import roles
from orders.institutions.credit_code import check_character
from orders.institutions.services import register_organisation
from orders.models import Membership, Organisation, OrganisationAddress
from tests import factories
from tests.fixtures.users import english_admin


def credit_code(body: str) -> str:
    """A valid code from its first 17 characters."""
    return body + check_character(body)


UNION_CODE = credit_code("81371400MC1234567")  # a trade union in Dezhou (登记管理部门 8: 工会)
BUREAU_CODE = credit_code("11371400MB2345678")  # a government unit
SCHOOL_CODE = credit_code("12371400MB3456789")


def proof(name: str = "营业执照.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"%PDF-1.4 licence scan", content_type="application/pdf")


@dataclass
class World:
    union: Organisation
    bureau: Organisation
    ann: User  # buyer and approver of the union
    ben: User  # finance of the bureau
    operator: User
    shopper: User  # no organisation yet


def make_organisation(name: str, code: str, kind: str, operator: User) -> Organisation:
    organisation = Organisation(
        kind=kind,
        name=name,
        credit_code=code,
        invoice_title=name,
        tax_number=code,
        contact_name="王主任",
        contact_phone="13800138000",
        contact_email="office@example.com",
        approval_threshold=500_000,
    )
    register_organisation(organisation, actor=operator)
    OrganisationAddress.objects.create(
        organisation=organisation,
        label="职工食堂",
        recipient="李师傅",
        phone="13900139000",
        province="山东省",
        city="德州市",
        district="德城区",
        street=f"{name}院内",
    )
    return organisation


def build_world() -> World:
    operator = factories.make_user("operator", group=roles.OPERATORS)
    union = make_organisation("德州市总工会", UNION_CODE, Organisation.Kind.UNION, operator)
    bureau = make_organisation("德州市农业农村局", BUREAU_CODE, Organisation.Kind.GOVERNMENT, operator)
    ann = factories.make_user("ann")
    ben = factories.make_user("ben")
    shopper = factories.make_user("shopper")
    Membership.objects.create(organisation=union, user=ann, role=Membership.Role.BUYER)
    Membership.objects.create(organisation=union, user=ann, role=Membership.Role.APPROVER)
    Membership.objects.create(organisation=bureau, user=ben, role=Membership.Role.FINANCE)
    for user in (operator, ann, ben, shopper):
        english_admin(user)
    return World(union, bureau, ann, ben, operator, shopper)


def url(name: str, *args) -> str:
    return reverse(name, args=args)
