"""The contact form is limited per client address; beyond the limit nothing is stored or sent."""

from types import SimpleNamespace

import pytest
from django.core import mail
from django.test import Client
from wagtail.contrib.forms.models import FormSubmission

from cms.models import ContactFormField, ContactPage
from core import roles
from storefront import ratelimit
from tests import factories
from worker.models import Notification

pytestmark = pytest.mark.django_db

INQUIRY = {"name": "王经理", "e_mail": "buyer@example.com", "message": "想批发脐橙两吨"}


@pytest.fixture
def contact(home, monkeypatch):
    monkeypatch.setattr(ratelimit, "time", SimpleNamespace(time=lambda: 1_800_000_000.0))
    factories.make_user("ops", group=roles.OPERATORS)
    page = ContactPage(title="联系与批发合作", slug="contact", thank_you_text="谢谢！")
    page.form_fields.add(ContactFormField(label="Name", field_type="singleline", required=True, sort_order=0))
    page.form_fields.add(ContactFormField(label="E-mail", field_type="email", required=True, sort_order=1))
    page.form_fields.add(ContactFormField(label="Message", field_type="multiline", required=True, sort_order=2))
    home.add_child(instance=page)
    page.save_revision().publish()
    return page


def test_contact_submissions_beyond_the_limit_get_429_and_nothing_is_sent(
    client, contact, settings, django_capture_on_commit_callbacks
):
    settings.CONTACT_RATE_LIMIT = "2/h"
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(2):
            assert "谢谢！" in client.post(contact.url, INQUIRY).content.decode()
        blocked = client.post(contact.url, INQUIRY)

    assert blocked.status_code == 429 and blocked["Retry-After"] == "3600"
    assert "尝试次数过多" in blocked.content.decode()  # the Chinese page speaks Chinese
    assert FormSubmission.objects.count() == 2
    assert Notification.objects.count() == 2 and len(mail.outbox) == 2
    assert client.get(contact.url).status_code == 200  # reading the page is not limited
    other = Client(REMOTE_ADDR="203.0.113.8")
    assert "谢谢！" in other.post(contact.url, INQUIRY).content.decode()
