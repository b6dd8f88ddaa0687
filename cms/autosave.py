"""Drafts that Wagtail's autosave created and no editor ever saved, and the slugs they give up.

Wagtail 7.4 autosaves a new page's form while the editor types: the first autosave runs the create view's
"save draft", which creates the page as a draft, with the slug in the form, and turns the form into that
page's edit form. An editor who then leaves the form (closes the tab, goes elsewhere) never pressed save, yet
the draft stays and holds the slug: a later page with the same title was refused ("The slug is already in use").

What an editor expects: the page they are now creating gets the slug, and nothing they wrote is lost. So:

- ``AutosavedDraft`` marks a page whose every save so far was an autosave (``record_autosave``, from the
  ``after_create_page`` hook when the create view answers an autosave); the editor's first own action on it
  (save, submit, publish: an HTML request) removes the mark (``forget_autosave``).
- Such a draft is **abandoned** (``is_abandoned``) when it has never been published, is not in moderation
  nor locked, and nobody has had it open in the editor for ``OPEN_WITHIN`` (Wagtail's editing sessions ping
  while its form is open, and are removed when the tab leaves).
- A page taking the slug of an abandoned draft takes it: the draft keeps everything it holds under the slug
  ``<slug>-draft-<id>`` (``release_slug``), and shows in the page explorer as before. A draft an editor saved
  themselves, or one still open somewhere, never gives up its slug: the editor is told which page holds it,
  with a link (``cms.slugs.slug_taken_message``).
"""

from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from wagtail.admin.models import EditingSession
from wagtail.models import Page, get_default_page_content_type

OPEN_WITHIN = EditingSession.IDLE_TIMEOUT  # 10 minutes: a form pinged more recently is still being edited
SLUG_MAX_LENGTH = 255


class AutosavedDraft(models.Model):
    """A page no editor has saved yet: only Wagtail's autosave has (see the module docstring)."""

    page = models.OneToOneField(Page, on_delete=models.CASCADE, related_name="+", verbose_name=_("page"))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("autosaved draft")

    def __str__(self) -> str:
        return f"page {self.page_id}"


def record_autosave(page: Page) -> None:
    """Mark ``page``, just created by an autosave, as saved by nobody."""
    AutosavedDraft.objects.get_or_create(page_id=page.pk)


def forget_autosave(page: Page) -> None:
    """An editor saved, submitted or published ``page`` themselves: it is theirs now, never abandoned."""
    AutosavedDraft.objects.filter(page_id=page.pk).delete()


def is_abandoned(page: Page) -> bool:
    """Whether ``page`` is an autosaved draft nobody saved, never published, not in moderation nor locked,
    and open in nobody's editor for ``OPEN_WITHIN``."""
    if page.live or page.last_published_at is not None or page.locked:
        return False
    if not AutosavedDraft.objects.filter(page_id=page.pk).exists():
        return False
    if page.workflow_in_progress:
        return False
    open_sessions = EditingSession.objects.filter(
        content_type=get_default_page_content_type(),
        object_id=str(page.pk),
        last_seen_at__gte=timezone.now() - OPEN_WITHIN,
    )
    return not open_sessions.exists()


@transaction.atomic
def release_slug(page: Page) -> str:
    """Give the abandoned draft ``page`` the slug ``<slug>-draft-<id>`` so that a sibling may take its slug;
    its content and revisions stay (the latest revision gets the new slug too, as the edit form opens it).
    Returns the new slug."""
    page = Page.objects.select_for_update().get(pk=page.pk)
    tail = f"-draft-{page.pk}"
    page.slug = page.slug[: SLUG_MAX_LENGTH - len(tail)] + tail
    page.save(update_fields=["slug", "url_path"], clean=False, log_action=False)
    revision = page.latest_revision
    if revision is not None:  # the edit form opens the draft from its latest revision
        revision.content["slug"] = page.slug
        revision.save(update_fields=["content"])
    return page.slug
