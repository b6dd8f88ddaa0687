"""`python manage.py load_demo`: the demo catalogue, and demo logins when DEBUG is on."""

import unicodedata

from django.conf import settings
from django.core.management.base import BaseCommand
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core import roles
from demo import data
from demo.loader import DemoLogin, DemoSummary, load_demo
from orders.models import Membership

SITE_URL = "http://127.0.0.1:8000"
ADMIN_URL = f"{SITE_URL}/admin/"
ROLE_LABELS = {**roles.ROLE_LABELS, data.MODERATORS: gettext_lazy("Moderators")}


def _width(text: str) -> int:
    """Columns the text takes in a terminal: Chinese characters take two."""
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


class Command(BaseCommand):
    help = "Load the demo merchants, products, counters and stock (safe to run again)."

    def handle(self, *args, **options) -> None:
        summary = load_demo(with_users=settings.DEBUG)
        created = sum(summary.created.values())
        self.stdout.write(
            self.style.SUCCESS(
                _("Demo catalogue ready (%(count)d rows created).") % {"count": created}
                if created
                else _("Demo catalogue already loaded: nothing to change.")
            )
        )
        if settings.DEBUG:
            self._write_logins(summary)
        else:
            self.stdout.write(_("Demo users skipped: DEBUG is off."))

    def _write_logins(self, summary: DemoSummary) -> None:
        headings = (_("Username"), _("Password"), _("Role"), _("Sign in at"))
        rows = [(login.username, login.password, self._role(login), self._sign_in(login)) for login in summary.logins]
        table = [[str(cell) for cell in row] for row in [headings, *rows]]
        widths = [max(_width(row[column]) for row in table) for column in range(len(headings))]
        self.stdout.write("")
        self.stdout.write(_("Demo logins (local demo only):"))
        for row in table:
            cells = [cell + " " * (width - _width(cell)) for cell, width in zip(row, widths, strict=True)]
            self.stdout.write("  " + "  ".join(cells).rstrip())
        self.stdout.write(_("Storefront: %(url)s") % {"url": f"{SITE_URL}/"})
        if summary.institution_report:
            self.stdout.write(
                _("Demo union's purchases report: %(url)s") % {"url": SITE_URL + summary.institution_report}
            )

    @staticmethod
    def _sign_in(login: DemoLogin) -> str:
        """Staff work in the back office; an organisation's members in the shop, on their bulk orders."""
        return SITE_URL + reverse("storefront:bulk_list") if login.role else ADMIN_URL

    @staticmethod
    def _role(login: DemoLogin) -> str:
        """The login's role; an organisation member's with their role in it: "Organisation members (Buyer)"."""
        label = str(ROLE_LABELS.get(login.group, login.group))
        return f"{label} ({Membership.Role(login.role).label})" if login.role else label
