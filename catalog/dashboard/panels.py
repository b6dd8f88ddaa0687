"""The catalogue's dashboard panels: merchants see their low stock and their aid certificates running out
(operators, who attest certificates, see every merchant's certificates)."""

from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from catalog.dashboard.selectors import CERTIFICATE_WARNING_DAYS, Certificate, expiring_certificates, low_stock
from catalog.models import Merchant, Stock
from catalog.selectors import can_review, member_merchant_ids
from core.dashboard import DashboardPanel, Item, Summary


def _manages_a_merchant(user) -> bool:
    return bool(member_merchant_ids(user))


class LowStockPanel(DashboardPanel):
    """Stock rows at or below the product's low-stock threshold, each linking to its adjust (receive) form."""

    name = "low-stock"
    heading = gettext_lazy("Low stock")
    icon = "table"
    order = 120
    empty_text = gettext_lazy("Nothing is running low: every row is above its product's low-stock threshold.")
    more_label = gettext_lazy("All stock, fewest available first")

    @classmethod
    def is_shown(cls, user) -> bool:
        return _manages_a_merchant(user) and user.has_perm("catalog.view_stock")

    def summary(self) -> Summary:
        rows = low_stock(self.user)
        count = rows.count()
        may_change = self.user.has_perm("catalog.change_stock")
        several = len(member_merchant_ids(self.user)) > 1
        items = [self.item(stock, may_change, several) for stock in rows[: self.limit]] if count else []
        headline = ngettext("%(count)d stock row is running low", "%(count)d stock rows are running low", count) % {
            "count": count
        }
        return Summary(count, headline, items)

    def item(self, stock: Stock, may_change: bool, several_merchants: bool) -> Item:
        product = stock.variant.product
        note = stock.location.name
        if several_merchants:
            note = f"{note} · {product.merchant.name}"
        return Item(
            label=f"{product.name} · {stock.variant.name}",
            url=reverse("stock:adjust", args=[stock.pk]) if may_change else None,
            note=note,
            detail=_("%(available)d available (alert at %(threshold)d)")
            % {"available": stock.available_units, "threshold": product.low_stock_threshold},
            urgent=stock.available_units <= 0,
        )

    def more_url(self) -> str:
        return reverse("stock:index") + "?" + urlencode({"ordering": "available"})


class CertificatesPanel(DashboardPanel):
    """Aid certificates of the user's merchants and products expiring within 60 days, or expired."""

    name = "certificates"
    heading = gettext_lazy("Aid certificates to renew")
    icon = "doc-full"
    order = 130
    empty_text = gettext_lazy("No aid certificate expires within the next %(days)d days.")

    @classmethod
    def is_shown(cls, user) -> bool:
        return _manages_a_merchant(user) or can_review(user)

    def summary(self) -> Summary:
        certificates = expiring_certificates(self.user)
        count = len(certificates)
        headline = ngettext(
            "%(count)d aid certificate expires soon or has expired",
            "%(count)d aid certificates expire soon or have expired",
            count,
        ) % {"count": count}
        return Summary(count, headline, [self.item(c) for c in certificates[: self.limit]])

    @property
    def empty_message(self) -> str:
        return str(self.empty_text) % {"days": CERTIFICATE_WARNING_DAYS}

    def item(self, certificate: Certificate) -> Item:
        holder = certificate.holder
        if isinstance(holder, Merchant):
            note = _("Merchant · certificate %(number)s") % {"number": certificate.number}
        else:
            note = _("Product of %(merchant)s · certificate %(number)s") % {
                "merchant": certificate.merchant.name,
                "number": certificate.number,
            }
        if certificate.expired:
            detail = _("Expired on %(date)s") % {"date": certificate.valid_until.isoformat()}
        else:
            detail = ngettext(
                "Expires in %(days)d day (%(date)s)", "Expires in %(days)d days (%(date)s)", certificate.days_left
            ) % {"days": certificate.days_left, "date": certificate.valid_until.isoformat()}
        return Item(
            label=holder.name,
            url=reverse("certificate:inspect", args=[certificate.record.pk]),
            note=note,
            detail=detail,
            urgent=certificate.expired,
        )
