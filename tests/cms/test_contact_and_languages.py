"""The inquiry form (stored, e-mailed to operators through the outbox); English pages, hreflang and
the language switcher; menus and footer edited in the admin; the demo content."""

import re
from urllib.parse import unquote

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import translation
from wagtail.contrib.forms.models import FormSubmission

from cms.models import ContactFormField, ContactPage, Footer, HeadlineFigure, HomePage, StoryPage
from core import roles
from tests import factories
from tests.cms.helpers import make_story
from worker.models import Notification

pytestmark = pytest.mark.django_db


@pytest.fixture
def contact(home):
    page = ContactPage(title="联系与批发合作", slug="contact", thank_you_text="谢谢！")
    page.form_fields.add(ContactFormField(label="Name", field_type="singleline", required=True, sort_order=0))
    page.form_fields.add(ContactFormField(label="E-mail", field_type="email", required=True, sort_order=1))
    page.form_fields.add(ContactFormField(label="Message", field_type="multiline", required=True, sort_order=2))
    home.add_child(instance=page)
    page.save_revision().publish()
    return page


def test_an_inquiry_is_stored_and_e_mailed_to_operators(client, contact, django_capture_on_commit_callbacks):
    operator = factories.make_user("ops", group=roles.OPERATORS)
    factories.make_user("editor2", group=roles.EDITORS)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            contact.url, {"name": "王经理", "e_mail": "buyer@example.com", "message": "想批发<b>脐橙</b>两吨"}
        )

    assert response.status_code == 200 and "谢谢！" in response.content.decode()
    submission = FormSubmission.objects.get(page=contact)
    assert submission.get_data()["message"] == "想批发<b>脐橙</b>两吨"
    notification = Notification.objects.get()
    assert notification.recipient == operator.email
    assert notification.template == "contact_submission"
    assert f"form-submission-{submission.pk}" in notification.key
    (message,) = mail.outbox
    assert "联系与批发合作" in message.subject
    assert "想批发<b>脐橙</b>两吨" in message.body and "王经理" in message.body
    html = message.alternatives[0][0] if message.alternatives else ""
    assert "&lt;b&gt;脐橙" in html


def test_an_incomplete_inquiry_is_refused_and_nothing_is_sent(client, contact):
    factories.make_user("ops", group=roles.OPERATORS)
    response = client.post(contact.url, {"name": "王经理", "e_mail": "not-an-address", "message": ""})
    assert response.status_code == 200
    assert response.context["form"].errors.keys() == {"e_mail", "message"}
    assert not FormSubmission.objects.exists() and not Notification.objects.exists()


def test_english_translation_hreflang_and_the_switcher_keeps_the_page(client, home, story_index, english):
    story = make_story(story_index, title="一梭一线织出好日子", slug="brocade")
    en_home = home.copy_for_translation(english)
    en_home.title = "Dexiu Market"
    en_home.save_revision().publish()
    en_index = story_index.copy_for_translation(english)
    en_index.save_revision().publish()
    en_story = story.copy_for_translation(english)
    en_story.title = "Weaving a living"
    en_story.save_revision().publish()

    html = client.get("/stories/brocade/").content.decode()
    assert 'hreflang="en" href="http://testserver/en/stories/brocade/"' in html
    assert 'hreflang="zh-hans" href="http://testserver/stories/brocade/"' in html
    assert "Weaving a living" in client.get("/en/stories/brocade/").content.decode()

    next_url = re.search(r'class="language-switcher".*?name="next" value="([^"]*)"', html, re.S).group(1)
    response = client.post("/i18n/setlang/", {"language": "en", "next": next_url})
    assert unquote(response.url) == "/en/stories/brocade/"
    assert "Weaving a living" in client.get(response.url).content.decode()

    # A story not translated yet is served in Chinese at its English address, canonical in Chinese.
    make_story(story_index, title="尚未翻译的故事", slug="untranslated")
    english_page = client.get("/en/stories/untranslated/")
    assert english_page.status_code == 200
    text = english_page.content.decode()
    assert "尚未翻译的故事" in text and '<html lang="en">' in text
    assert '<link rel="canonical" href="http://testserver/stories/untranslated/">' in text
    assert client.get("/en/stories/nothing-here/").status_code == 404
    assert client.get("/stories/nothing-here/").status_code == 404


def test_menu_footer_and_headline_figures_are_edited_in_the_admin(client, home, story_index, english):
    Footer.objects.create(locale=home.locale, text="鲁渝协作消费帮扶平台", links=[])
    HeadlineFigure.objects.create(
        locale=home.locale, figure="1.6亿元", label="消费协作", source="《协作报道》", source_year=2023, sort_order=0
    )

    html = client.get("/").content.decode()
    assert f'<a href="{story_index.url}">商户故事</a>' in html
    assert "鲁渝协作消费帮扶平台" in html
    assert "1.6亿元" in html and "消费协作" in html

    story_index.show_in_menus = False
    story_index.save_revision().publish()
    HeadlineFigure.objects.update(figure="2亿元")
    HeadlineFigure.objects.get().save()
    html = client.get("/").content.decode()
    assert f'<a href="{story_index.url}">商户故事</a>' not in html
    assert "2亿元" in html


def test_the_demo_has_stories_a_campaign_counters_about_and_english_pages(settings):
    settings.DEBUG = False
    with translation.override("en"):
        call_command("load_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    stories = StoryPage.objects.filter(locale__language_code="zh-hans").live()
    assert stories.count() >= 6
    titles = " ".join(stories.values_list("title", flat=True))
    for fragment in ("织锦", "贵措", "油茶", "武陵药都", "蔬菜", "德州味"):
        assert fragment in titles, fragment
    for story in stories:
        assert story.hero_image is not None
        assert any(block.block_type in ("product_card", "product_grid") for block in story.body)
    assert HomePage.objects.filter(locale__language_code="en").live().exists()
    assert StoryPage.objects.filter(locale__language_code="en").live().count() == stories.count()
    assert Footer.objects.count() == 2 and HeadlineFigure.objects.filter(locale__language_code="en").exists()


@pytest.mark.parametrize("group", [roles.EDITORS, "Moderators"])
def test_editors_and_moderators_cannot_read_contact_form_submissions(client, contact, group):
    FormSubmission.objects.create(page=contact, form_data={"name": "王经理", "e_mail": "buyer@example.com"})
    client.force_login(factories.make_user("reader", group=group))

    listing = client.get(f"/admin/forms/submissions/{contact.pk}/")
    export = client.get(f"/admin/forms/submissions/{contact.pk}/", {"export": "csv"})
    forms_index = client.get("/admin/forms/")

    assert listing.status_code == export.status_code == 302  # Wagtail sends a refused user to the dashboard
    assert "buyer@example.com" not in listing.content.decode() + export.content.decode()
    assert contact.title not in forms_index.content.decode()


def test_operators_read_contact_form_submissions(client, contact):
    FormSubmission.objects.create(page=contact, form_data={"name": "王经理", "e_mail": "buyer@example.com"})
    client.force_login(factories.make_user("ops", group=roles.OPERATORS))

    response = client.get(f"/admin/forms/submissions/{contact.pk}/")

    assert response.status_code == 200
    assert "buyer@example.com" in response.content.decode()
