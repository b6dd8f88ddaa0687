"""A dashboard panel must say whom it serves and what work there is (``core.dashboard.DashboardPanel``)."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import RequestFactory

from core.dashboard import DashboardPanel, Summary


def request():
    made = RequestFactory().get("/admin/")
    made.user = AnonymousUser()
    return made


def test_a_panel_without_its_summary_cannot_be_made():
    class Unfinished(DashboardPanel):
        name = "unfinished"

        @classmethod
        def is_shown(cls, user) -> bool:
            return True

    with pytest.raises(TypeError, match="summary"):
        Unfinished(request())


def test_a_finished_panel_keeps_its_media():
    class Finished(DashboardPanel):
        name = "finished"

        @classmethod
        def is_shown(cls, user) -> bool:
            return True

        def summary(self) -> Summary:
            return Summary(0, "")

    panel = Finished(request())
    assert "core/dashboard.css" in str(panel.media)
