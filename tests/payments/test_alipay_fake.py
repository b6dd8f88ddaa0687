"""The fake Alipay gateway against the real ``python-alipay-sdk``: what our Alipay code will build on.

Real here: the SDK's signing, its HTTP requests to the gateway, its verification of the gateway's signed answers
and of the notification and return parameters; the HTTP between the "browser" (urllib), the fake and a tiny
shop server standing in for our notify and return views. Not real: Alipay itself (the fake imitates it).
"""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl

import pytest
from alipay import AliPay
from alipay.exceptions import AliPayException, AliPayValidationError
from alipay.utils import AliPayConfig

from tests.fixtures.alipay import TIME_FORMAT, FakeAlipay, new_key, now, private_pem, public_pem


def sdk(values: dict[str, str]) -> AliPay:
    """The SDK as our code will build it: RSA2, key strings from settings, the gateway overridden."""
    client = AliPay(
        appid=values["ALIPAY_APP_ID"],
        app_private_key_string=values["ALIPAY_APP_PRIVATE_KEY"],
        alipay_public_key_string=values["ALIPAY_PUBLIC_KEY"],
        sign_type="RSA2",
        config=AliPayConfig(timeout=3),
    )
    client._gateway = values["ALIPAY_GATEWAY"]
    return client


def verified(client: AliPay, params: dict[str, str]) -> bool:
    """What our notify/return views will do: take ``sign`` out, hand the rest to the SDK."""
    data = dict(params)
    signature = data.pop("sign")
    return client.verify(data, signature)


class Shop:
    """Our side, as small as it can be: ``/notify`` verifies with the SDK and answers ``success`` (or
    ``failure``), ``/return`` records what the browser brought back."""

    def __init__(self, client: AliPay):
        shop = self
        self.client, self.notified, self.returned = client, [], []

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                form = dict(parse_qsl(self.rfile.read(int(self.headers["Content-Length"])).decode()))
                ok = verified(shop.client, form)
                shop.notified.append((form, ok))
                self._answer(b"success" if ok else b"failure")

            def do_GET(self) -> None:
                shop.returned.append(dict(parse_qsl(self.path.partition("?")[2])))
                self._answer("支付完成".encode())

            def _answer(self, body: bytes) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/plain;charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"


@pytest.fixture
def client(alipay_fake, settings) -> AliPay:
    """The SDK built from the Django settings the fixture set."""
    return sdk({name: getattr(settings, name) for name in alipay_fake.settings()})


@pytest.fixture
def shop(client):
    shop = Shop(client)
    yield shop
    shop.server.shutdown()
    shop.server.server_close()


def open_url(url: str, data: bytes | None = None) -> tuple[int, str, str]:
    """A browser: follows redirects; (status, final URL, page text)."""
    with urllib.request.urlopen(url, data=data, timeout=5) as response:  # noqa: S310 - loopback only
        return response.status, response.url, response.read().decode()


def page_pay(client: AliPay, shop: Shop, out_trade_no: str, amount: str = "12.34", **kwargs) -> str:
    query = client.api_alipay_trade_page_pay(
        subject="德秀集市订单 " + out_trade_no,
        out_trade_no=out_trade_no,
        total_amount=amount,
        return_url=shop.url + "/return",
        notify_url=shop.url + "/notify",
        **kwargs,
    )
    return client._gateway + "?" + query


def paid(client: AliPay, shop: Shop, fake: FakeAlipay, out_trade_no: str, amount: str = "12.34") -> None:
    open_url(page_pay(client, shop, out_trade_no, amount))
    assert fake.pay(out_trade_no).acknowledged


@pytest.mark.parametrize("kind", ["page", "wap"])
def test_the_pay_url_opens_the_cashier_and_paying_notifies_and_returns(kind, alipay_fake, client, shop):
    """page pay by GET, wap pay by form POST; the cashier's button: signed notification, then signed return."""
    pay = client.api_alipay_trade_page_pay if kind == "page" else client.api_alipay_trade_wap_pay
    query = pay(
        subject="德秀集市订单 A1",
        out_trade_no="A1",
        total_amount="12.34",
        return_url=shop.url + "/return",
        notify_url=shop.url + "/notify",
    )
    if kind == "page":
        status, url, text = open_url(client._gateway + "?" + query)
    else:
        status, url, text = open_url(client._gateway, data=query.encode())

    assert status == 200 and "/cashier/" in url
    assert "支付宝 收银台" in text and "12.34" in text and "确认付款" in text
    trade = alipay_fake.trade("A1")
    assert (trade.total_amount, trade.subject, trade.status) == ("12.34", "德秀集市订单 A1", "WAIT_BUYER_PAY")
    assert (trade.notify_url, trade.return_url) == (shop.url + "/notify", shop.url + "/return")
    assert alipay_fake.requests[-1].http_method == ("GET" if kind == "page" else "POST")

    status, url, text = open_url(url + "/pay", data=b"")  # the 确认付款 button

    assert url.startswith(shop.url + "/return?") and text == "支付完成"
    [(form, ok)] = shop.notified
    assert ok and alipay_fake.deliveries[-1].acknowledged
    assert form["trade_status"] == "TRADE_SUCCESS" and form["notify_type"] == "trade_status_sync"
    assert (form["out_trade_no"], form["total_amount"], form["receipt_amount"]) == ("A1", "12.34", "12.34")
    assert (form["app_id"], form["seller_id"]) == (alipay_fake.app_id, alipay_fake.seller_id)
    [returned] = shop.returned
    assert returned["method"] == f"alipay.trade.{kind}.pay.return" and verified(client, returned)
    assert returned["trade_no"] == form["trade_no"] == trade.trade_no


def test_a_tampered_or_foreign_notification_is_refused_by_the_sdk(alipay_fake, client, shop):
    open_url(page_pay(client, shop, "A2", "30.00"))
    assert alipay_fake.pay("A2").body == "success"
    form = alipay_fake.notification("A2")
    assert verified(client, form)

    assert not verified(client, form | {"total_amount": "0.01"})
    assert not verified(client, form | {"trade_status": "TRADE_CLOSED"})
    other = FakeAlipay(app_id=alipay_fake.app_id, alipay_key=new_key(), trades=alipay_fake.trades)
    assert not verified(client, other.notification("A2"))  # signed with a key that is not Alipay's

    delivery = alipay_fake.deliver(form | {"total_amount": "0.01"})
    assert (delivery.body, delivery.acknowledged) == ("failure", False)
    assert alipay_fake.retry()[0].acknowledged  # Alipay resends, freshly signed, until it reads "success"


def test_the_sdk_has_no_replay_or_age_check_on_notifications(alipay_fake, client, shop):
    """Pins an SDK fact our notify view must make up for: a day-old or replayed notification verifies."""
    open_url(page_pay(client, shop, "A3"))
    alipay_fake.pay("A3")
    old = alipay_fake.notification("A3", notify_time=(now() - timedelta(days=1)).strftime(TIME_FORMAT))

    assert verified(client, old) and verified(client, old)
    with pytest.raises(AliPayException):  # the only other thing verify checks: a sign_type other than ours
        verified(client, old | {"sign_type": "RSA"})


def test_query_close_refund_and_refund_query_round_trips(alipay_fake, client, shop):
    missing = client.api_alipay_trade_query(out_trade_no="B1")
    assert (missing["code"], missing["sub_code"]) == ("40004", "ACQ.TRADE_NOT_EXIST")

    paid(client, shop, alipay_fake, "B1", "100.00")
    answer = client.api_alipay_trade_query(out_trade_no="B1")
    assert answer["code"] == "10000" and answer["trade_status"] == "TRADE_SUCCESS"
    assert (answer["total_amount"], answer["buyer_pay_amount"]) == ("100.00", "100.00")

    refund = client.api_alipay_trade_refund("30.00", out_trade_no="B1", out_request_no="R1")
    assert (refund["code"], refund["fund_change"], refund["refund_fee"]) == ("10000", "Y", "30.00")
    again = client.api_alipay_trade_refund("30.00", out_trade_no="B1", out_request_no="R1")
    assert (again["fund_change"], again["refund_fee"]) == ("N", "30.00")
    too_much = client.api_alipay_trade_refund("70.01", out_trade_no="B1", out_request_no="R2")
    assert (too_much["code"], too_much["sub_code"]) == ("40004", "ACQ.REFUND_AMT_NOT_EQUAL_TOTAL")
    found = client.api_alipay_trade_fastpay_refund_query("R1", out_trade_no="B1")
    assert (found["refund_amount"], found["refund_status"]) == ("30.00", "REFUND_SUCCESS")
    assert "refund_amount" not in client.api_alipay_trade_fastpay_refund_query("R2", out_trade_no="B1")
    assert client.api_alipay_trade_close(out_trade_no="B1")["sub_code"] == "ACQ.TRADE_STATUS_ERROR"

    rest = client.api_alipay_trade_refund("70.00", out_trade_no="B1", out_request_no="R2")
    assert rest["refund_fee"] == "100.00"
    assert client.api_alipay_trade_query(out_trade_no="B1")["trade_status"] == "TRADE_CLOSED"
    notice = alipay_fake.notification("B1")
    assert (notice["trade_status"], notice["refund_fee"], notice["out_biz_no"]) == ("TRADE_CLOSED", "100.00", "R2")


def test_an_unpaid_trade_closes_and_can_no_longer_be_paid(alipay_fake, client, shop):
    url = page_pay(client, shop, "C1")
    _status, cashier, _text = open_url(url)

    closed = client.api_alipay_trade_close(out_trade_no="C1")

    assert (closed["code"], closed["out_trade_no"]) == ("10000", "C1")
    assert client.api_alipay_trade_query(out_trade_no="C1")["trade_status"] == "TRADE_CLOSED"
    _status, _url, text = open_url(cashier + "/pay", data=b"")
    assert "ACQ.TRADE_STATUS_ERROR" in text and not shop.notified
    assert "TRADE_HAS_CLOSE" in open_url(page_pay(client, shop, "C1"))[2]


def test_requests_signed_with_another_key_or_altered_are_refused(alipay_fake, client, shop):
    stranger = sdk(alipay_fake.settings() | {"ALIPAY_APP_PRIVATE_KEY": private_pem(new_key())})

    with pytest.raises(AliPayException) as refused:  # gateway errors come unsigned: the SDK raises
        stranger.api_alipay_trade_query(out_trade_no="D1")
    answer = json.loads(str(refused.value).partition("message:")[2])["alipay_trade_query_response"]
    assert (answer["code"], answer["msg"], answer["sub_code"]) == (
        "40002",
        "Invalid Arguments",
        "isv.invalid-signature",
    )

    _status, _url, text = open_url(page_pay(stranger, shop, "D1"))
    assert "invalid-signature" in text and "D1" not in alipay_fake.trades

    altered = page_pay(client, shop, "D1").replace("12.34", "0.01")
    assert "invalid-signature" in open_url(altered)[2] and "D1" not in alipay_fake.trades
    assert [r.sub_code for r in alipay_fake.requests] == ["isv.invalid-signature"] * 3


def test_a_stale_timestamp_or_another_app_id_is_refused(alipay_fake, client):
    data = client.build_body("alipay.trade.query", {"out_trade_no": "E1"})
    data["timestamp"] = (now() - timedelta(minutes=30)).strftime(TIME_FORMAT)
    with pytest.raises(AliPayException, match=r"isv\.invalid-timestamp"):
        client.verified_sync_response(data, "alipay_trade_query_response")

    other_app = sdk(alipay_fake.settings() | {"ALIPAY_APP_ID": "2021000000000000"})
    with pytest.raises(AliPayException, match=r"isv\.invalid-app-id"):
        other_app.api_alipay_trade_query(out_trade_no="E1")


def test_the_sdk_refuses_an_answer_not_signed_by_alipay(alipay_fake):
    """Our settings hold a different Alipay public key: every signed answer fails verification."""
    wrong = sdk(alipay_fake.settings() | {"ALIPAY_PUBLIC_KEY": public_pem(new_key())})
    with pytest.raises(AliPayValidationError):
        wrong.api_alipay_trade_query(out_trade_no="F1")


def test_outages_reach_the_sdk_as_http_errors(alipay_fake, client):
    alipay_fake.broken()
    with pytest.raises(urllib.error.HTTPError) as bad_gateway:
        client.api_alipay_trade_query(out_trade_no="G1")
    assert bad_gateway.value.code == 502

    alipay_fake.down()
    with pytest.raises(urllib.error.URLError):
        client.api_alipay_trade_query(out_trade_no="G1")

    alipay_fake.up()
    assert client.api_alipay_trade_query(out_trade_no="G1")["sub_code"] == "ACQ.TRADE_NOT_EXIST"


def test_a_notify_url_that_does_not_answer_success_is_recorded(alipay_fake, client, shop):
    query = client.api_alipay_trade_page_pay(
        subject="H1", out_trade_no="H1", total_amount="1.00", notify_url=shop.url.replace("127.0.0.1", "127.0.0.2")
    )
    open_url(client._gateway + "?" + query)
    delivery = alipay_fake.pay("H1")

    assert delivery.status == 0 and not delivery.acknowledged
    assert alipay_fake.trade("H1").status == "TRADE_SUCCESS"
