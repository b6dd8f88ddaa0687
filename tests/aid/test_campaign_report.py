"""The aid report's campaign discounts by sponsor: coupons and consumption vouchers, online and at the counter."""

from django.urls import reverse

from orders.aid.reports import CampaignRow, campaign_discounts
from orders.checkout import cart_summary, coupon_quote
from orders.counter.services import record_counter_sale
from orders.coupons.services import apply_code
from orders.models import AidLedgerEntry
from orders.vouchers.services import claim
from tests.aid.helpers import certify, pay
from tests.orders.helpers import cart_with, checkout
from tests.orders.test_vouchers import SPONSOR, make_batch, make_coupon, shopper, with_voucher


def test_coupons_and_vouchers_appear_by_sponsor(client, operator, prog):
    certify(prog.oil_coop, prog.veg_farm)
    make_coupon()
    batch = make_batch()
    user, customer = shopper()
    cart = cart_with((prog.oil, 2), (prog.orange, 1), (prog.cabbage, 3))
    apply_code(cart, "SPRING20", customer=customer, quote=coupon_quote(cart_summary(cart), "SPRING20"))
    pay(checkout(with_voucher(cart, claim(batch, customer), user, customer), user=user, customer=customer))
    walk_in = claim(batch, shopper()[1])
    record_counter_sale(prog.decheng_counter, [(prog.oil.pk, 2)], actor=None, voucher_code=walk_in.code)

    rows = campaign_discounts(AidLedgerEntry.objects.all())
    # The order of the totals test: coupon 20.00 over three lines (net 119.70 to producers); voucher 30.00 on oil
    # and cabbage (65.12 + 33.16), and 30.00 more at the counter on 76.00 of oil.
    assert rows == [
        CampaignRow(SPONSOR, "voucher", 2, 6000, 6512 + 3316 + 7600),
        CampaignRow("秀山电商协会", "coupon", 1, 2000, 6512 + 2142 + 3316),
    ]

    client.force_login(operator)
    response = client.get(reverse("aid:report"), {"group_by": "merchant", "certification": "all"})
    assert response.context["campaigns"] == rows
    html = response.content.decode()
    assert "按出资方统计的活动优惠" in html  # the back office speaks the operator's Chinese
    assert SPONSOR in html and "秀山电商协会" in html
    assert 'data-campaign-total="discount">¥60.00<' in html
    assert 'data-campaign-total="goods">¥119.70<' in html

    exported = client.get(reverse("aid:report"), {"group_by": "merchant", "certification": "all", "export": "csv"})
    lines = exported.content.decode("utf-8-sig").splitlines()
    heading = lines.index("按出资方统计的活动优惠,类型,订单,优惠金额,带动商户销售额")
    assert lines[heading - 1] == ",,,,"
    assert lines[heading + 1 :] == [
        f"{SPONSOR},消费券,2,60.00,174.28",
        "秀山电商协会,优惠券,1,20.00,119.70",
    ]
