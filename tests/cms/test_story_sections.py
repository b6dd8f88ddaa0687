"""Sections of story cards are kept rendered: the home page's campaign teaser and featured stories
(``HomePage.sections``) and a story's "more stories" (``StoryPage.more_section``). A publish, an unpublish, a view
restriction, a merchant's new name and the next day must show at once, with the page cache off."""

import datetime

from django.utils import timezone
from wagtail.models import PageViewRestriction

from cms.models import CampaignPage
from tests import factories
from tests.cms.helpers import make_story


def home_html(client) -> str:
    return client.get("/en/").content.decode()


def campaign(home, title: str, ends: datetime.date) -> CampaignPage:
    page = CampaignPage(title=title, slug="fair", start_date=ends - datetime.timedelta(days=3), end_date=ends)
    home.add_child(instance=page)
    page.save_revision().publish()
    return page


def test_a_story_published_or_withdrawn_shows_on_the_home_page_at_once(
    client, story_index, django_capture_on_commit_callbacks
):
    assert "Merchant stories" not in home_html(client)  # kept: no story yet
    with django_capture_on_commit_callbacks(execute=True):
        story = make_story(story_index, title="茶油坊的春天")
    assert "茶油坊的春天" in home_html(client)

    with django_capture_on_commit_callbacks(execute=True):
        story.unpublish()
    assert "茶油坊的春天" not in home_html(client)


def test_a_campaign_leaves_the_home_page_the_day_after_it_ends(client, home, monkeypatch):
    today = timezone.localdate()
    campaign(home, "德州味展销", ends=today)
    assert "德州味展销" in home_html(client)

    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: today + datetime.timedelta(days=1))
    assert "德州味展销" not in home_html(client)


def test_a_campaign_made_private_leaves_the_home_page_at_once(client, home, django_capture_on_commit_callbacks):
    fair = campaign(home, "德州味展销", ends=timezone.localdate())
    assert "德州味展销" in home_html(client)

    with django_capture_on_commit_callbacks(execute=True):
        PageViewRestriction.objects.create(page=fair, restriction_type="password", password="secret")
    assert "德州味展销" not in home_html(client)


def test_more_stories_follow_a_new_story_and_a_merchants_new_name_at_once(
    client, story_index, django_capture_on_commit_callbacks
):
    merchant = factories.make_merchant("隘口织锦工坊")
    with django_capture_on_commit_callbacks(execute=True):
        read = make_story(story_index, title="织锦的故事", merchant=merchant)
    assert "More stories" not in client.get(f"/en{read.url}").content.decode()  # kept: no other story yet

    with django_capture_on_commit_callbacks(execute=True):
        make_story(story_index, title="茶油坊的春天", merchant=merchant)
    html = client.get(f"/en{read.url}").content.decode()
    assert "茶油坊的春天" in html and "隘口织锦工坊" in html

    with django_capture_on_commit_callbacks(execute=True):
        merchant.name = "隘口土家织锦合作社"
        merchant.save()
    assert "隘口土家织锦合作社" in client.get(f"/en{read.url}").content.decode().split("More stories")[1]
