"""Labels end with the reader's colon: full width and no space in Chinese, "Reason: 坏果" in English;
the shop's sign-in forms put no ASCII colon after their labels."""

import re

from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext

from core.text import as_label


def test_as_label_uses_the_languages_colon():
    assert as_label("原因", "zh-hans") == "原因："
    assert as_label("Reason", "en") == "Reason: "
    with translation.override("zh-hans"):
        assert as_label("电话") == "电话："


def test_e_mails_end_their_labels_with_the_readers_colon():
    context = {"contact_name": "王女士", "order_number": "DX20261001-1", "amount": 3800, "reason": "坏果"}
    with translation.override("zh-hans"):
        reason = gettext("Reason")
        text = render_to_string("email/order_refunded.txt", {**context, "order_url": "https://shop/o/1/"})
        html = render_to_string("email/order_refunded.html", {**context, "order_url": "https://shop/o/1/"})
    assert f"{reason}：坏果" in text and f"<p>{reason}：坏果</p>" in html
    assert not re.search(r"[\u4e00-\u9fff]:", text)

    with translation.override("en"):
        text = render_to_string("email/order_refunded.txt", {**context, "order_url": "https://shop/o/1/"})
    assert "Reason: 坏果" in text and "Your order: https://shop/o/1/" in text


def test_sign_in_and_password_reset_labels_carry_no_ascii_colon(client, db):
    for url in ("/account/login/", "/account/password-reset/", "/en/account/login/"):
        html = client.get(url).content.decode()
        labels = re.findall(r"<label[^>]*>(.*?)</label>", html, re.S)
        assert labels, url
        assert not [label for label in labels if label.strip().endswith(":")], url
