"""The home page's programme figures carry their label and source (editors cannot save one without it),
and a story without a hero picture keeps its card's shape with a drawing in its place."""

import pytest
from bs4 import BeautifulSoup, Tag
from django.utils import translation
from django.utils.translation import gettext

from cms.impact import ImpactPage
from cms.models import HeadlineFigure
from tests import factories
from tests.cms.helpers import make_story
from tests.fixtures.catalog import make_image
from tests.fixtures.users import english_admin

REPORT = "报道《德州秀山 万水千山情不断 携手共赴富裕路》"
FALLBACK = "/static/cms/img/story-fallback.svg"


def zh(message: str, **params) -> str:
    with translation.override("zh-hans"):
        text = gettext(message)
    return text % params if params else text


def text(node: Tag) -> str:
    return " ".join(node.stripped_strings)


def soup_of(client, url: str) -> BeautifulSoup:
    response = client.get(url)
    assert response.status_code == 200
    return BeautifulSoup(response.content, "html.parser")


@pytest.fixture
def impact_page(home) -> ImpactPage:
    page = ImpactPage(title="帮扶成效", slug="impact")
    home.add_child(instance=page)
    return page


def test_the_home_page_labels_programme_figures_with_their_source(client, home, impact_page):
    for order, (figure, label) in enumerate((("1.6亿元", "消费协作金额"), ("66", "对结对帮扶"))):
        HeadlineFigure.objects.create(
            locale=home.locale, figure=figure, label=label, source=REPORT, source_year=2023, sort_order=order
        )

    soup = soup_of(client, "/")
    (heading,) = [h2 for h2 in soup.find_all("h2") if text(h2) == zh("Programme figures")]
    assert "visually-hidden" not in heading.get("class", [])
    figures = heading.find_parent("section")
    shown = text(figures)
    assert "1.6亿元 消费协作金额" in shown and "66 对结对帮扶" in shown
    assert zh("Totals for the whole Dezhou–Xiushan cooperation, not sales on this platform.") in shown
    # One source for both figures, said once, right under them.
    assert [text(caption) for caption in figures.find_all("figcaption")] == [
        zh("Source: %(source)s, %(year)s", source=REPORT, year=2023)
    ]
    link = figures.find("a", string=zh("What this platform has recorded"))
    assert link is not None and link["href"] == impact_page.url
    # No figure of the programme appears outside that section.
    assert "1.6亿元" not in text(soup.find("main")).replace(shown, "")


def test_a_source_changed_in_the_admin_shows_at_once(client, home):
    figure = HeadlineFigure.objects.create(
        locale=home.locale, figure="1.6亿元", label="消费协作金额", source=REPORT, source_year=2023
    )
    assert "《德州秀山" in text(soup_of(client, "/").find("main"))
    figure.source, figure.source_year = "2025年德州市政府工作报告", 2025
    figure.save()
    assert zh("Source: %(source)s, %(year)s", source="2025年德州市政府工作报告", year=2025) in text(
        soup_of(client, "/").find("main")
    )


def test_a_headline_figure_cannot_be_saved_without_its_source(client, home):
    # In English: Wagtail names its menus in the language of the first admin page it renders.
    client.force_login(english_admin(factories.make_user("figures-admin", superuser=True)))
    url = "/admin/snippets/cms/headlinefigure/add/?locale=zh-hans"
    response = client.post(url, {"figure": "1.6亿元", "label": "消费协作金额", "sort_order": "0"})
    assert response.status_code == 200  # the form again, with its errors
    assert not HeadlineFigure.objects.exists()
    form = response.context["form"]
    assert set(form.errors) == {"source", "source_year"}

    response = client.post(
        url, {"figure": "1.6亿元", "label": "消费协作金额", "source": REPORT, "source_year": "2023", "sort_order": "0"}
    )
    assert response.status_code == 302
    assert HeadlineFigure.objects.get().source == REPORT


def test_a_story_without_a_hero_picture_gets_the_fallback_drawing_in_the_home_grid(client, home, story_index):
    merchant = factories.make_merchant("隘口织锦工坊")
    factories.make_product(merchant, name="土家织锦围巾")  # a merchant page shows a merchant with products
    pictured = make_story(story_index, title="有图的故事", featured=True, hero_image=make_image())
    plain = make_story(story_index, title="没有配图的故事", featured=True, merchant=merchant)

    soup = soup_of(client, "/")
    cards = {text(card.find("h3")): card for card in soup.select(".featured-stories .story-grid .story-card")}
    assert set(cards) == {pictured.title, plain.title}
    # Every card has its 3:2 picture frame; the one without a hero shows the drawing, not nothing.
    assert all(card.select_one(".story-card__media img") for card in cards.values())
    fallback = cards[plain.title].select_one(".story-card__media--fallback img")
    assert fallback["src"] == FALLBACK and fallback["alt"] == ""
    assert (fallback["width"], fallback["height"]) == ("480", "320")
    assert cards[pictured.title].select_one(".story-card__media--fallback") is None
    response = client.get(FALLBACK)
    assert response.status_code == 200 and response["Content-Type"].startswith("image/svg+xml")

    # The same card in the stories list and on the merchant's page.
    for url in (story_index.url, f"/merchants/{merchant.slug}/"):
        card = soup_of(client, url).find("h3", string=plain.title).find_parent("article")
        assert card.select_one(".story-card__media--fallback img")["src"] == FALLBACK
