"""Campaign coupon codes (优惠券 / 优惠码): rules in ``selectors`` (what a code is worth on a cart) and ``services``
(applying a code to a cart, redeeming it in ``place_order``, freeing it when an unpaid order ends, batches of
codes); the back office in ``backoffice``."""
