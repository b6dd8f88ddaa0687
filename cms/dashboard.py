"""The editors' to-do panels on the dashboard: drafts, and pages awaiting moderation.

Both list only pages the user may edit (Wagtail's page
permissions), and show for users who may add or edit pages (editors, operators).

- Drafts: pages with changes not published yet (never published, or edited since), not in moderation;
  most recently edited first.
- Awaiting moderation: every page in an active workflow (submitted by anyone: the team sees what waits),
  longest waiting first. It takes the place of Wagtail's "Your pages and snippets in a workflow", which
  lists a subset of the same pages; Wagtail's "Awaiting your review" (for moderators, with the approve and
  reject actions) stays.
"""

from typing import Any

from django.db.models import CharField, Exists, IntegerField, OuterRef, QuerySet
from django.db.models.functions import Cast
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from wagtail.models import Page, WorkflowState, get_default_page_content_type
from wagtail.permission_policies.pages import PagePermissionPolicy

from core.dashboard import DashboardPanel, Item, Summary, waited

WAGTAIL_WORKFLOW_PANEL = "user_objects_in_workflow_moderation"


def _editable_pages(user: Any) -> QuerySet[Page]:
    return PagePermissionPolicy().instances_user_has_any_permission_for(user, {"change"})


def _page_states() -> QuerySet[WorkflowState]:
    return WorkflowState.objects.active().filter(base_content_type_id=get_default_page_content_type().id)


def drafts(user: Any) -> QuerySet[Page]:
    """Pages the user may edit with unpublished changes, not in moderation; most recently edited first."""
    in_moderation = _page_states().filter(object_id=Cast(OuterRef("pk"), CharField()))
    return (
        _editable_pages(user)
        .filter(depth__gt=1, has_unpublished_changes=True)
        .exclude(Exists(in_moderation))
        .select_related("latest_revision__user")
        .order_by("-latest_revision_created_at", "-pk")
    )


def pages_in_moderation(user: Any) -> QuerySet[WorkflowState]:
    """Active workflows of pages the user may edit, with their page, task and who submitted; oldest first."""
    editable = _editable_pages(user).filter(pk=Cast(OuterRef("object_id"), IntegerField()))
    return (
        _page_states()
        .filter(Exists(editable))
        .select_related("current_task_state__task", "requested_by")
        .prefetch_related("content_object")
        .order_by("current_task_state__started_at", "pk")
    )


def edits_pages(user: Any) -> bool:
    return PagePermissionPolicy().user_has_any_permission(user, {"add", "change", "publish"})


def _person(user: Any) -> str:
    return (user.get_full_name() or user.get_username()) if user else ""


class DraftsPanel(DashboardPanel):
    name = "drafts"
    heading = gettext_lazy("Drafts")
    icon = "edit"
    order = 150
    empty_text = gettext_lazy("No drafts: every page's latest version is published or awaiting moderation.")

    @classmethod
    def is_shown(cls, user: Any) -> bool:
        return edits_pages(user)

    def summary(self) -> Summary:
        pages = drafts(self.user)
        count = pages.count()
        now = timezone.now()
        items = [self.item(page, now) for page in (pages[: self.limit] if count else [])]
        headline = ngettext("%(count)d draft", "%(count)d drafts", count) % {"count": count}
        return Summary(count, headline, items)

    def item(self, page: Page, now) -> Item:
        revision = page.latest_revision
        note = _("Never published") if not page.live else _("Published, with changes not yet published")
        editor = _person(revision.user if revision else None)
        if editor:
            note = f"{note} · {editor}"
        edited = page.latest_revision_created_at
        return Item(
            label=page.get_admin_display_title(),
            url=reverse("wagtailadmin_pages:edit", args=[page.pk]),
            note=note,
            detail=_("Edited %(time)s ago") % {"time": waited(edited, now)} if edited else "",
        )


class ModerationPanel(DashboardPanel):
    name = "awaiting-moderation"
    heading = gettext_lazy("Pages awaiting moderation")
    icon = "tasks"
    order = 145
    empty_text = gettext_lazy("No page is waiting for moderation.")

    @classmethod
    def is_shown(cls, user: Any) -> bool:
        return edits_pages(user)

    def summary(self) -> Summary:
        states = pages_in_moderation(self.user)
        count = states.count()
        now = timezone.now()
        items = [self.item(state, now) for state in (states[: self.limit] if count else [])]
        headline = ngettext(
            "%(count)d page is awaiting moderation", "%(count)d pages are awaiting moderation", count
        ) % {"count": count}
        return Summary(count, headline, items)

    def item(self, state: WorkflowState, now) -> Item:
        page = state.content_object
        task = state.current_task_state
        note = task.task.name if task else ""
        submitter = _person(state.requested_by)
        if submitter:
            note = _("%(task)s · submitted by %(person)s") % {"task": note, "person": submitter}
        started = task.started_at if task else state.created_at
        return Item(
            label=page.get_admin_display_title() if page else str(state),
            url=reverse("wagtailadmin_pages:edit", args=[page.pk]) if page else None,
            note=note,
            detail=_("Waiting %(time)s") % {"time": waited(started, now)},
        )


def replace_wagtail_workflow_panel(panels: list) -> None:
    """Drop Wagtail's "Your pages and snippets in a workflow" where ``ModerationPanel`` (a superset) shows."""
    if any(isinstance(panel, ModerationPanel) for panel in panels):
        panels[:] = [panel for panel in panels if getattr(panel, "name", "") != WAGTAIL_WORKFLOW_PANEL]
