"""To-do panels on the back-office dashboard (Wagtail's home page, hook ``construct_homepage_panels``).

Rules every panel follows:
- it says how much work there is (``Summary.count``, in a sentence: ``headline``), lists the first few
  items (``limit``), each linking to where that work is done, links to the full list (``more_url``), and
  says plainly that there is nothing to do when there is nothing (``empty_text``);
- it reads through its app's selectors, which scope rows per user with ``core.scopes``;
- it is added only for the users whose role it serves (``is_shown``), from its app's ``wagtail_hooks``
  (``add_panels``), so a panel module imports only its own app and the layers below.
"""

from abc import ABCMeta, abstractmethod
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.forms.widgets import MediaDefiningClass
from django.http import HttpRequest
from django.utils import timezone
from django.utils.timesince import timesince
from django.utils.translation import gettext_lazy as _
from wagtail.admin.ui.components import Component

DEFAULT_LIMIT = 5


@dataclass(frozen=True)
class Item:
    """One line of a panel: what it is (``label``, linking to ``url``), a short ``detail`` (e.g. "2 left")
    and an optional muted ``note`` (the counter, the merchant); ``urgent`` details stand out."""

    label: str
    url: str | None = None
    detail: str = ""
    note: str = ""
    urgent: bool = False


@dataclass(frozen=True)
class Summary:
    """What a panel shows: how many (``count``: 0 means nothing to do), that number in a sentence, and the
    first few items."""

    count: int
    headline: str
    items: Sequence[Item] = field(default_factory=tuple)


class _PanelMeta(MediaDefiningClass, ABCMeta):
    """Wagtail's component metaclass (its ``Media``) with abstract methods: a panel lacking one cannot be made."""


class DashboardPanel(Component, metaclass=_PanelMeta):
    """A to-do panel: a heading, a count in a sentence, the first items, a link to the rest, an empty state.

    A panel defines ``is_shown`` and ``summary``."""

    template_name = "core/dashboard/panel.html"
    name = ""  # unique on the page: the panel's id
    heading: Any = ""
    icon = "tasks"
    order = 100  # before Wagtail's own panels (210 and up)
    empty_text: Any = _("Nothing to do here.")
    more_label: Any = _("See all")
    limit = DEFAULT_LIMIT

    class Media:
        css = {"all": ["core/dashboard.css"]}

    def __init__(self, request: HttpRequest) -> None:
        self.request = request
        self.user = request.user

    @classmethod
    @abstractmethod
    def is_shown(cls, user: Any) -> bool:
        """Whether this panel belongs on the user's dashboard (the role it serves)."""

    @abstractmethod
    def summary(self) -> Summary:
        """How much work there is, and its first ``limit`` items."""

    @property
    def empty_message(self) -> str:
        """What the panel says when there is nothing to do."""
        return str(self.empty_text)

    def more_url(self) -> str | None:
        """Where the whole list (and the work) is; None when there is no such page."""
        return None

    def get_context_data(self, parent_context: Any = None) -> dict[str, Any]:
        summary = self.summary()
        return {
            "panel": self,
            "summary": summary,
            "more_url": self.more_url(),
            "panel_attrs": {"data-dashboard-panel": self.name, "data-count": summary.count},
            "request": self.request,
        }


def add_panels(request: HttpRequest, panels: list, panel_classes: Iterable[type[DashboardPanel]]) -> None:
    """Append to Wagtail's ``panels`` a panel of each class that belongs on this user's dashboard."""
    panels.extend(panel_class(request) for panel_class in panel_classes if panel_class.is_shown(request.user))


def waited(since: datetime, now: datetime | None = None) -> str:
    """How long ago ``since`` was, to the largest unit ("3 hours", "2 days"), in the active language."""
    return timesince(since, now or timezone.now(), depth=1)
