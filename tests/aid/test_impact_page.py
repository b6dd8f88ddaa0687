"""The impact page as a reader sees it: what this platform's ledger records, in figure cards, with no
heading over an empty breakdown and one honest line while nothing is recorded; the programme's own
figures only under their label and source, in a section of their own."""

from bs4 import BeautifulSoup, Tag
from django.utils import translation
from django.utils.translation import gettext

from cms.models import HeadlineFigure
from orders.payments.services import refund_order
from tests.aid.helpers import certify, order_of, pay, sell_at_counter

REPORT = "报道《德州秀山 万水千山情不断 携手共赴富裕路》"


def zh(message: str) -> str:
    """What a Chinese reader sees for ``message`` (its translation once the catalogue has it)."""
    with translation.override("zh-hans"):
        return gettext(message)


def text(node: Tag) -> str:
    return " ".join(node.stripped_strings)


def section(soup: BeautifulSoup, heading: str) -> Tag:
    """The section a visible ``<h2>`` with this text heads."""
    (h2,) = [h2 for h2 in soup.find_all("h2") if text(h2) == heading]
    assert "visually-hidden" not in h2.get("class", [])
    return h2.find_parent("section")


def read(client, page) -> BeautifulSoup:
    response = client.get(page.url)
    assert response.status_code == 200
    return BeautifulSoup(response.content, "html.parser")


def breakdowns(article: Tag) -> dict[str, list[str]]:
    """Each breakdown's heading and its rows as read ("平凯街道 ¥38.00")."""
    return {
        text(part.find("h3")): [text(row) for row in part.select("li")]
        for part in article.select("section.impact-breakdown")
    }


def test_an_empty_ledger_says_so_in_one_line_with_no_empty_headings(client, impact_page):
    soup = read(client, impact_page)
    article = soup.find("article", class_="impact")

    heading, empty = zh("Recorded on this platform"), zh("No sales have been recorded on this platform yet.")
    assert text(section(soup, heading)) == f"{heading} {empty}"
    assert "¥0.00" not in text(article)
    assert article.find_all("h3") == [] and article.find("ol") is None
    assert zh("No sales yet.") not in text(article)  # the old "暂无销售" list item
    # No programme figures entered: no heading for them either.
    assert [text(h2) for h2 in article.find_all("h2")] == [zh("Recorded on this platform")]


def test_sales_show_figure_cards_and_a_breakdown_per_dimension(client, prog, impact_page):
    certify(prog.oil_coop, prog.veg_farm)
    sell_at_counter(prog.decheng_counter, (prog.oil, 1), (prog.cabbage, 2))

    article = read(client, impact_page).find("article", class_="impact")

    cards = {text(card.find("dt")): text(card.find("dd")) for card in article.select(".figure-cards .figure-card")}
    assert cards == {
        zh("Consumption aid delivered"): "¥63.80",
        zh("Orders"): "0",
        zh("Counter sales"): "1",
        zh("Merchants reached"): "2",
        zh("Households reached"): "150",
    }
    shown = breakdowns(article)
    assert list(shown) == [
        zh("Month by month"),
        zh("By Xiushan township"),
        zh("By paired Dezhou division"),
        zh("Top products"),
    ]
    assert shown[zh("By Xiushan township")] == [
        f"{prog.oil_coop.get_township_display()} ¥38.00",
        f"{prog.veg_farm.get_township_display()} ¥25.80",
    ]
    assert len(shown[zh("Top products")]) == 2


def test_a_fully_refunded_ledger_shows_no_heading_over_an_empty_breakdown(client, prog, impact_page, operator):
    certify(prog.oil_coop)
    order = pay(order_of((prog.oil, 1)))
    refund_order(order, actor=operator, reason="取消")

    article = read(client, impact_page).find("article", class_="impact")

    assert article.select_one('[data-figure="total"]').get_text() == "¥0.00"
    assert article.select_one('[data-figure="orders"]').get_text() == "1"
    # Nothing net by township, division or product: those headings are gone; the month nets to zero.
    shown = breakdowns(article)
    assert list(shown) == [zh("Month by month")]
    assert [row.endswith("¥0.00") for row in shown[zh("Month by month")]] == [True]


def test_programme_figures_are_labelled_with_their_source_and_kept_apart_from_the_ledger(client, prog, impact_page):
    HeadlineFigure.objects.create(
        locale=impact_page.locale, figure="1.6亿元", label="消费协作金额", source=REPORT, source_year=2023
    )
    certify(prog.oil_coop)
    sell_at_counter(prog.decheng_counter, (prog.oil, 1))

    soup = read(client, impact_page)
    ledger = section(soup, zh("Recorded on this platform"))
    programme = section(soup, zh("Programme figures"))

    assert ledger is not programme and programme not in ledger.parents and ledger not in programme.parents
    assert "¥38.00" in text(ledger) and "1.6亿元" not in text(ledger)
    assert "1.6亿元 消费协作金额" in text(programme) and "¥38.00" not in text(programme)
    with translation.override("zh-hans"):
        source = gettext("Source: %(source)s, %(year)s") % {"source": REPORT, "year": 2023}
    assert text(programme.find("figcaption")) == source
    assert zh("Totals for the whole Dezhou–Xiushan cooperation, not sales on this platform.") in text(programme)
