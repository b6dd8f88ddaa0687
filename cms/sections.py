"""Editorial sections the shop's pages show (registered with ``storefront.extensions``)."""

from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils.safestring import SafeString

from catalog.models import Product
from cms import selectors


def merchant_stories(request: HttpRequest, product: Product) -> SafeString | str:
    """The published stories about the product's merchant, as story cards; nothing when there are none."""
    stories = selectors.stories_about(product.merchant)
    if not stories:
        return ""
    return render_to_string("cms/includes/merchant_stories.html", {"stories": stories, "product": product}, request)
