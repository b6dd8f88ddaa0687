"""What checkout refuses: form errors, a cart that changed since the customer saw it, and sold-out lines."""

from typing import TYPE_CHECKING

from django.core.exceptions import NON_FIELD_ERRORS

from catalog.services import InsufficientStock
from orders.state import OrderError

if TYPE_CHECKING:
    from orders.checkout.selectors import CartSummary


class CheckoutError(OrderError):
    """Checkout refused; ``errors`` maps form field names (or ``__all__``) to messages."""

    def __init__(self, message: str | dict[str, list[str]]):
        if isinstance(message, dict):
            self.errors = message
            message = " ".join(msg for messages in message.values() for msg in messages)
        else:
            self.errors = {NON_FIELD_ERRORS: [message]}
        super().__init__(message)


class CartChanged(CheckoutError):
    """The cart is no longer what the customer saw (price, availability, shipping): show it again.

    ``summary`` is the cart as it was just read when that reading showed the change (``None`` when the
    change showed only under the stock lock): the page showing it again need not read it once more.
    """

    summary: "CartSummary | None" = None

    def __init__(self, message: str | dict[str, list[str]], *, summary: "CartSummary | None" = None):
        super().__init__(message)
        self.summary = summary


class SoldOut(CartChanged, InsufficientStock):
    """Not enough stock left for a line: the customer gets a clear "sold out" and the cart again."""
