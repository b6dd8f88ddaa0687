"""The aid report's grouping menu (汇总维度) shows the grouping the table is drawn by."""

import re

import pytest
from django.urls import reverse

from tests.aid.helpers import order_of, pay

REPORT = reverse("aid:report")


@pytest.fixture
def sales(prog):
    pay(order_of((prog.oil, 2)))
    return prog


def shown_grouping(html: str) -> tuple[list[str], str]:
    """The menu's selected options (values) and the table's first column heading."""
    menu = re.search(r'<select name="group_by".*?</select>', html, re.S).group(0)
    selected = re.findall(r'<option value="(\w+)"[^>]*\bselected\b', menu)
    heading = re.search(r'<table class="listing aid-figures">.*?<th scope="col">([^<]*)</th>', html, re.S).group(1)
    return selected, heading


@pytest.mark.parametrize(
    "query",
    [
        {},  # the menu's first visit
        {"date_from": "2020-01-01"},  # a period chosen, the grouping left out (an old link)
        {"group_by": "", "channel": "online"},
    ],
)
def test_a_report_without_a_grouping_is_by_month_and_its_menu_says_so(client, operator, sales, query):
    client.force_login(operator)
    selected, heading = shown_grouping(client.get(REPORT, query).content.decode())
    assert (selected, heading) == (["month"], "月")


def test_the_menu_shows_the_grouping_chosen(client, operator, sales):
    client.force_login(operator)
    for value, label in [("day", "日"), ("merchant", "商户"), ("year", "年")]:
        selected, heading = shown_grouping(client.get(REPORT, {"group_by": value}).content.decode())
        assert (selected, heading) == ([value], label)
