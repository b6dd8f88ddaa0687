"""Every model of the ``orders`` app, importable from ``orders.models`` (Django loads them from here).

- ``cart``: ``Cart``, ``CartLine``, ``CartPackLine`` (a gift pack in a cart)
- ``order``: ``Order`` (``OrderStatus``, ``DeliveryMethod``), ``Fulfilment``, ``OrderLine``, ``OrderEvent``
- ``payment``: ``Payment`` (``PaymentProvider``), ``Refund``, ``StripeEvent``, ``ProviderEvent``
- ``profit_share``: ``ProfitShare`` (a merchant's part of a WeChat Pay payment, paid by WeChat's profit sharing)
- ``pickup``: ``Pickup`` (one per order and counter: the code, the hand-over guard), ``CounterCodeGuard``
- ``counter``: ``CounterSale`` (``CounterPaymentMethod``), ``CounterSaleLine``
- ``aid``: ``AidLedgerEntry`` (``AidChannel``), ``Settlement``, ``SettledEntry``, ``AidSettings``
- ``aid_export``: ``AidExport`` (who downloaded the aid monitoring export, and the file's digest)
- ``coupon``: ``Coupon``, ``CouponCode``, ``CouponRedemption`` (campaign coupon codes, ``orders.coupons``)
- ``voucher``: ``VoucherBatch``, ``Voucher`` (consumption vouchers funded by a budget, ``orders.vouchers``)
- ``presale``: ``PreSaleRefund`` (units of an order line refunded for a short harvest, ``orders.presales``)
- ``settings``: ``ShopSettings``
- ``institution``: ``Organisation``, ``OrganisationAddress``, ``Membership``, ``OrganisationChange`` (institutional
  buyers, ``orders.institutions``)
- ``bulk``: ``BulkOrder``, ``BulkOrderLine``, ``Recipient``, ``BulkOrderChange``, ``TransferReceipt``,
  ``InvoiceRequest`` (an organisation's bulk orders, recipients, history, bank transfers and invoices)
"""

from orders.models.aid import (
    AID_SETTINGS_CACHE_KEY,
    AidChannel,
    AidLedgerEntry,
    AidSettings,
    SettledEntry,
    Settlement,
)
from orders.models.aid_export import AidExport
from orders.models.bulk import BulkOrder, BulkOrderChange, BulkOrderLine, InvoiceRequest, Recipient, TransferReceipt
from orders.models.cart import Cart, CartLine, CartPackLine
from orders.models.counter import CounterPaymentMethod, CounterSale, CounterSaleLine
from orders.models.coupon import Coupon, CouponCode, CouponRedemption
from orders.models.institution import Membership, Organisation, OrganisationAddress, OrganisationChange
from orders.models.order import (
    DeliveryMethod,
    Fulfilment,
    LineSnapshot,
    Order,
    OrderEvent,
    OrderLine,
    OrderStatus,
)
from orders.models.payment import Payment, PaymentProvider, ProviderEvent, Refund, StripeEvent
from orders.models.pickup import CounterCodeGuard, Pickup
from orders.models.presale import PreSaleRefund
from orders.models.profit_share import ProfitShare
from orders.models.settings import ShopSettings, shipping_rule_key
from orders.models.voucher import Voucher, VoucherBatch

__all__ = [
    "AID_SETTINGS_CACHE_KEY",
    "AidChannel",
    "AidExport",
    "AidLedgerEntry",
    "AidSettings",
    "BulkOrder",
    "BulkOrderChange",
    "BulkOrderLine",
    "Cart",
    "CartLine",
    "CartPackLine",
    "CounterCodeGuard",
    "CounterPaymentMethod",
    "CounterSale",
    "CounterSaleLine",
    "Coupon",
    "CouponCode",
    "CouponRedemption",
    "DeliveryMethod",
    "Fulfilment",
    "InvoiceRequest",
    "LineSnapshot",
    "Membership",
    "Order",
    "OrderEvent",
    "OrderLine",
    "OrderStatus",
    "Organisation",
    "OrganisationAddress",
    "OrganisationChange",
    "Payment",
    "PaymentProvider",
    "Pickup",
    "PreSaleRefund",
    "ProfitShare",
    "ProviderEvent",
    "Recipient",
    "Refund",
    "SettledEntry",
    "Settlement",
    "ShopSettings",
    "StripeEvent",
    "TransferReceipt",
    "Voucher",
    "VoucherBatch",
    "shipping_rule_key",
]
