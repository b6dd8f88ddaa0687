"""The back-in-stock form of the product page (``storefront.alert_views``)."""

from typing import Any

from django import template

from storefront.alert_views import product_alert_form

register = template.Library()


@register.inclusion_tag("storefront/product/stock_alert.html", takes_context=True)
def stock_alert_form(context: template.Context, product, counters) -> dict[str, Any]:
    """The form when some option of ``product`` is out of stock somewhere (else nothing); its CSRF token is the
    page's, punched out of the cached section as the add-to-cart form's."""
    return {"alert": product_alert_form(product, counters), "csrf_token": context.get("csrf_token")}
