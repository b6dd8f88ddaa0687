"""The WeChat Pay fake against the real ``wechatpayv3`` SDK (public key mode, its gateway pointed at the fake).

Real here: the SDK's request signing, its checks of the fake's signed answers, its ``callback`` (signature check
and AES-GCM decryption), and HTTP over loopback both ways. The merchant's notify endpoint is a small server in
this file that does what our view will do: hand the headers and raw body to ``callback`` and answer 200 or 401.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests
from cryptography.hazmat.primitives import serialization
from wechatpayv3 import WeChatPay, WeChatPayType

from tests.fixtures.wechatpay import FakeWeChatPay, new_key, nonce, private_pem, sign


def sdk(fake: FakeWeChatPay, notify_url: str = "https://shop.example.cn/pay/wechat/notify", **overrides) -> WeChatPay:
    """The SDK as our code will build it: public key mode, the gateway from WECHATPAY_API_BASE."""
    settings = fake.settings()
    arguments = {
        "wechatpay_type": WeChatPayType.NATIVE,
        "mchid": settings["WECHATPAY_MCHID"],
        "private_key": settings["WECHATPAY_PRIVATE_KEY"],
        "cert_serial_no": settings["WECHATPAY_CERT_SERIAL_NO"],
        "appid": settings["WECHATPAY_APPID"],
        "apiv3_key": settings["WECHATPAY_APIV3_KEY"],
        "notify_url": notify_url,
        "public_key": settings["WECHATPAY_PUBLIC_KEY"],
        "public_key_id": settings["WECHATPAY_PUBLIC_KEY_ID"],
        "timeout": (2, 5),
        **overrides,
    }
    client = WeChatPay(**arguments)
    client._core._gate_way = settings["WECHATPAY_API_BASE"]
    return client


class Merchant:
    """The merchant's notify endpoint: ``callback`` on what arrives; 200 when it returns the event, else 401."""

    def __init__(self, client: WeChatPay):
        self.client, self.events = client, []
        merchant = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                event = merchant.client.callback(self.headers, body)
                merchant.events.append(event)
                self.send_response(200 if event else 401)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: object) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/pay/wechat/notify"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def merchant(wechatpay_fake):
    merchant = Merchant(sdk(wechatpay_fake))
    yield merchant
    merchant.stop()


def native(client: WeChatPay, out_trade_no: str, total: int = 1000, **kwargs) -> tuple[int, dict]:
    code, message = client.pay(
        description="秀山土鸡蛋 30 枚",
        out_trade_no=out_trade_no,
        amount={"total": total, "currency": "CNY"},
        pay_type=WeChatPayType.NATIVE,
        **kwargs,
    )
    return code, json.loads(message)


def test_native_create_gives_a_code_url_and_repeats_only_the_same_request(wechatpay_fake, settings):
    assert wechatpay_fake.url == settings.WECHATPAY_API_BASE
    client = sdk(wechatpay_fake)
    code, answer = native(client, "DX20240501000001")
    assert code == 200
    assert answer["code_url"].startswith("weixin://wxpay/bizpayurl?pr=")
    sent = wechatpay_fake.requests[-1]
    assert sent.path == "/v3/pay/transactions/native"
    assert sent.body["amount"] == {"total": 1000, "currency": "CNY"}
    assert sent.body["mchid"] == wechatpay_fake.mchid and sent.body["appid"] == wechatpay_fake.appid

    assert native(client, "DX20240501000001") == (200, answer)
    code, refused = native(client, "DX20240501000001", total=999)
    assert (code, refused["code"]) == (400, "INVALID_REQUEST")


def test_h5_create_gives_the_cashier_page_which_pays_and_goes_back(wechatpay_fake, merchant):
    client = sdk(wechatpay_fake, notify_url=merchant.url)
    code, message = client.pay(
        description="秀山米豆腐",
        out_trade_no="DX20240501000002",
        amount={"total": 2350, "currency": "CNY"},
        scene_info={"payer_client_ip": "14.23.150.211", "h5_info": {"type": "Wap"}},
        pay_type=WeChatPayType.H5,
    )
    assert code == 200
    h5_url = json.loads(message)["h5_url"]
    assert h5_url.startswith(f"{wechatpay_fake.url}/h5pay/wx")

    back = "http://127.0.0.1:8000/orders/42/paid"
    page = requests.get(h5_url + "&redirect_url=" + requests.utils.quote(back, safe=""), timeout=5)
    assert "确认支付" in page.text and "¥23.50" in page.text
    prepay_id = h5_url.split("/h5pay/")[1].split("?")[0]
    paid = requests.post(
        f"{wechatpay_fake.url}/h5pay/{prepay_id}", data={"redirect_url": back}, allow_redirects=False, timeout=5
    )
    assert (paid.status_code, paid.headers["Location"]) == (302, back)
    assert merchant.events[-1]["resource"]["trade_state"] == "SUCCESS"
    assert merchant.events[-1]["resource"]["trade_type"] == "MWEB"
    assert wechatpay_fake.deliveries[-1].status == 200


def test_jsapi_create_gives_a_prepay_id_the_sdk_signs_for_the_bridge(wechatpay_fake):
    client = sdk(wechatpay_fake, wechatpay_type=WeChatPayType.JSAPI)
    code, message = client.pay(
        description="德州扒鸡",
        out_trade_no="DX20240501000003",
        amount={"total": 4800, "currency": "CNY"},
        payer={"openid": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"},
    )
    assert code == 200
    package = "prepay_id=" + json.loads(message)["prepay_id"]
    stamp, once = str(int(time.time())), nonce()
    pay_sign = client.sign([wechatpay_fake.appid, stamp, once, package])
    assert wechatpay_fake.pay_sign_ok(wechatpay_fake.appid, stamp, once, package, pay_sign)
    assert not wechatpay_fake.pay_sign_ok(wechatpay_fake.appid, stamp, once, "prepay_id=wx0", pay_sign)


@pytest.mark.parametrize(
    ("amount", "notify_url"),
    [
        ({"total": 0, "currency": "CNY"}, None),
        ({"total": 10.5, "currency": "CNY"}, None),
        ({"total": 1000, "currency": "USD"}, None),
        ({"total": 1000, "currency": "CNY"}, "http://shop.example.cn/notify"),
    ],
)
def test_create_refuses_what_wechat_refuses(wechatpay_fake, amount, notify_url):
    client = sdk(wechatpay_fake)
    code, message = client.pay(
        description="秀山土鸡蛋", out_trade_no="DX20240501000004", amount=amount, notify_url=notify_url
    )
    assert (code, json.loads(message)["code"]) == (400, "PARAM_ERROR")
    assert wechatpay_fake.transactions == {}


def test_query_follows_the_payment_with_amounts_in_fen(wechatpay_fake):
    client = sdk(wechatpay_fake, notify_url="http://127.0.0.1:9/closed-port")
    native(client, "DX20240501000005", total=1000)
    code, message = client.query(out_trade_no="DX20240501000005")
    before = json.loads(message)
    assert (code, before["trade_state"], before["amount"]["total"]) == (200, "NOTPAY", 1000)
    assert "transaction_id" not in before

    assert wechatpay_fake.pay("DX20240501000005", payer_total=900) == 0  # nobody listens at the notify_url
    code, message = client.query(out_trade_no="DX20240501000005")
    after = json.loads(message)
    assert after["trade_state"] == "SUCCESS"
    assert after["amount"] == {"total": 1000, "payer_total": 900, "currency": "CNY", "payer_currency": "CNY"}
    assert after["transaction_id"].startswith("4200") and after["success_time"].endswith("+08:00")
    assert json.loads(client.query(transaction_id=after["transaction_id"])[1]) == after
    code, message = client.query(out_trade_no="DX20249999999999")
    assert (code, json.loads(message)["code"]) == (404, "ORDER_NOT_EXIST")


def test_close_only_an_unpaid_transaction(wechatpay_fake):
    client = sdk(wechatpay_fake, notify_url="http://127.0.0.1:9/closed-port")
    native(client, "DX20240501000006")
    assert client.close("DX20240501000006") == (204, b"")
    assert json.loads(client.query(out_trade_no="DX20240501000006")[1])["trade_state"] == "CLOSED"
    assert native(client, "DX20240501000006")[1]["code"] == "ORDER_CLOSED"

    native(client, "DX20240501000007")
    wechatpay_fake.pay("DX20240501000007")
    code, message = client.close("DX20240501000007")
    assert (code, json.loads(message)["code"]) == (400, "ORDERPAID")


def test_refund_round_trip_with_its_notification(wechatpay_fake, merchant):
    client = sdk(wechatpay_fake, notify_url=merchant.url)
    native(client, "DX20240501000008", total=1000)
    assert wechatpay_fake.pay("DX20240501000008") == 200

    amount = {"refund": 300, "total": 1000, "currency": "CNY"}
    code, message = client.refund(out_refund_no="RF20240501000008", amount=amount, out_trade_no="DX20240501000008")
    refund = json.loads(message)
    assert (code, refund["status"], refund["amount"]["refund"], refund["amount"]["total"]) == (
        200,
        "PROCESSING",
        300,
        1000,
    )
    assert json.loads(client.query(out_trade_no="DX20240501000008")[1])["trade_state"] == "REFUND"
    again = client.refund(out_refund_no="RF20240501000008", amount=amount, out_trade_no="DX20240501000008")
    assert json.loads(again[1])["refund_id"] == refund["refund_id"]

    too_much = {"refund": 701, "total": 1000, "currency": "CNY"}
    code, message = client.refund(out_refund_no="RF20240501000009", amount=too_much, out_trade_no="DX20240501000008")
    assert (code, json.loads(message)["code"]) == (400, "INVALID_REQUEST")

    assert wechatpay_fake.refund_succeeds("RF20240501000008") == 200
    event = merchant.events[-1]
    assert event["event_type"] == "REFUND.SUCCESS"
    assert event["resource"]["refund_status"] == "SUCCESS"
    assert event["resource"]["amount"] == {"total": 1000, "refund": 300, "payer_total": 1000, "payer_refund": 300}
    queried = json.loads(client.query_refund("RF20240501000008")[1])
    assert queried["status"] == "SUCCESS" and queried["success_time"]
    code, message = client.query_refund("RF20249999999999")
    assert (code, json.loads(message)["code"]) == (404, "RESOURCE_NOT_EXISTS")


def test_a_request_signed_by_another_merchant_key_is_refused(wechatpay_fake):
    stranger = sdk(wechatpay_fake, private_key=private_pem(new_key()))
    code, message = native(stranger, "DX20240501000010")
    assert (code, message["code"]) == (401, "SIGN_ERROR")
    wrong_serial = sdk(wechatpay_fake, cert_serial_no="1DDE55AD98ED71D6EDD4A4A16996DE7B47773A8C")
    assert native(wrong_serial, "DX20240501000010")[0] == 401
    assert wechatpay_fake.transactions == {}


def test_a_request_signed_too_long_ago_is_refused(wechatpay_fake):
    path = f"/v3/pay/transactions/out-trade-no/DX20240501000011?mchid={wechatpay_fake.mchid}"
    stamp, once = str(int(time.time()) - 301), nonce()
    signature = sign(wechatpay_fake.merchant_key, f"GET\n{path}\n{stamp}\n{once}\n\n")
    authorization = (
        f'WECHATPAY2-SHA256-RSA2048 mchid="{wechatpay_fake.mchid}",nonce_str="{once}",signature="{signature}",'
        f'timestamp="{stamp}",serial_no="{wechatpay_fake.merchant_serial_no}"'
    )
    answer = requests.get(wechatpay_fake.url + path, headers={"Authorization": authorization}, timeout=5)
    assert (answer.status_code, answer.json()["code"]) == (401, "SIGN_ERROR")


def test_the_sdk_refuses_an_answer_not_signed_by_wechat_pay(wechatpay_fake):
    wechatpay_fake.forge_answers = True
    with pytest.raises(Exception, match="failed to verify the signature"):
        native(sdk(wechatpay_fake), "DX20240501000012")


def paid_notification(fake: FakeWeChatPay, out_trade_no: str, **kwargs) -> tuple[dict[str, str], bytes]:
    native(sdk(fake, notify_url="http://127.0.0.1:9/closed-port"), out_trade_no, total=1280)
    fake.pay(out_trade_no, payer_total=1180)
    return fake.notification(out_trade_no, **kwargs)


def test_callback_verifies_and_decrypts_a_payment_notification(wechatpay_fake):
    headers, body = paid_notification(wechatpay_fake, "DX20240501000013")
    event = sdk(wechatpay_fake).callback(headers, body)
    assert event["event_type"] == "TRANSACTION.SUCCESS"
    resource = event["resource"]
    assert (resource["out_trade_no"], resource["trade_state"]) == ("DX20240501000013", "SUCCESS")
    assert resource["amount"]["total"] == 1280 and resource["amount"]["payer_total"] == 1180
    assert resource["transaction_id"] == wechatpay_fake.transactions["DX20240501000013"].transaction_id
    django_meta = {"HTTP_" + name.upper().replace("-", "_"): value for name, value in headers.items()}
    assert sdk(wechatpay_fake).callback(django_meta, body)["resource"] == resource


def test_callback_refuses_a_tampered_or_wrongly_signed_notification(wechatpay_fake):
    headers, body = paid_notification(wechatpay_fake, "DX20240501000014")
    client = sdk(wechatpay_fake)
    assert client.callback(headers, body.replace(b"\xe6\x94\xaf\xe4\xbb\x98\xe6\x88\x90\xe5\x8a\x9f", b"ok")) is None
    stamp, once = headers["Wechatpay-Timestamp"], headers["Wechatpay-Nonce"]
    forged = sign(new_key(), f"{stamp}\n{once}\n{body.decode()}\n")
    assert client.callback({**headers, "Wechatpay-Signature": forged}, body) is None
    assert client.callback({**headers, "Wechatpay-Nonce": nonce()}, body) is None
    assert sdk(wechatpay_fake, apiv3_key=nonce(32)).callback(headers, body) is None  # signed, but not our key


def test_callback_with_an_unknown_key_id_asks_the_gateway_for_certificates(wechatpay_fake):
    headers, body = paid_notification(wechatpay_fake, "DX20240501000015")
    assert sdk(wechatpay_fake).callback({**headers, "Wechatpay-Serial": "PUB_KEY_ID_0114OTHER"}, body) is None
    assert wechatpay_fake.requests[-1].path == "/v3/certificates"
    without_type = {name: value for name, value in headers.items() if name != "Wechatpay-Signature-Type"}
    with pytest.raises(Exception, match="does not support this algorithm"):
        sdk(wechatpay_fake).callback(without_type, body)


def test_callback_does_not_check_the_age_of_a_notification_nor_replays(wechatpay_fake):
    """The SDK accepts a notification signed an hour ago, and the same one twice: our view must refuse a
    ``Wechatpay-Timestamp`` more than 5 minutes off and handle a repeated notification ``id`` once."""
    headers, body = paid_notification(wechatpay_fake, "DX20240501000016", timestamp=int(time.time()) - 3600)
    client = sdk(wechatpay_fake)
    assert client.callback(headers, body)["resource"]["trade_state"] == "SUCCESS"
    assert client.callback(headers, body)["id"] == json.loads(body)["id"]


def test_callback_verifies_and_decrypts_a_refund_notification(wechatpay_fake):
    client = sdk(wechatpay_fake, notify_url="http://127.0.0.1:9/closed-port")
    native(client, "DX20240501000017", total=500)
    wechatpay_fake.pay("DX20240501000017")
    amount = {"refund": 500, "total": 500, "currency": "CNY"}
    client.refund(out_refund_no="RF20240501000017", amount=amount, out_trade_no="DX20240501000017")
    assert wechatpay_fake.refund_succeeds("RF20240501000017") == 0
    headers, body = wechatpay_fake.refund_notification("RF20240501000017")
    event = client.callback(headers, body)
    assert event["event_type"] == "REFUND.SUCCESS"
    assert event["resource"]["out_refund_no"] == "RF20240501000017"
    assert event["resource"]["amount"]["refund"] == 500
    payment_aad = body.replace(b'"associated_data": "refund"', b'"associated_data": "transaction"')
    resigned = {**headers, **wechatpay_fake.signed_headers(payment_aad)}
    assert client.callback(resigned, payment_aad) is None  # the refund resource does not decrypt as a payment


def test_outages_reach_the_sdk_as_a_refused_connection_or_a_500(wechatpay_fake):
    client = sdk(wechatpay_fake)
    wechatpay_fake.down()
    with pytest.raises(requests.ConnectionError):
        native(client, "DX20240501000018")
    wechatpay_fake.up()
    wechatpay_fake.broken()
    code, message = native(client, "DX20240501000018")
    assert (code, message["code"]) == (500, "SYSTEM_ERROR")
    wechatpay_fake.up()
    assert native(client, "DX20240501000018")[0] == 200


def test_settings_hold_keys_the_sdk_loads(wechatpay_fake, settings):
    assert settings.WECHATPAY_PRIVATE_KEY.startswith("-----BEGIN PRIVATE KEY-----")
    serialization.load_pem_public_key(settings.WECHATPAY_PUBLIC_KEY.encode())
    assert settings.WECHATPAY_PUBLIC_KEY_ID.startswith("PUB_KEY_ID_0114")
    assert len(settings.WECHATPAY_APIV3_KEY) == 32
