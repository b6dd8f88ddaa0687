"""Page forms under one parent write one at a time, so a slug checked free is still free when written.

Wagtail's page create and edit views check a page's slug in the form, then write the page in separate
statements. Two forms under the same parent at once (an editor's save while Wagtail's autosave of the same
new page is still under way, two editors, an abandoned form's late autosave) could both find a slug free, and
the second then failed in ``Page.save`` with a server error. So:

- ``PageFormTransactionMiddleware`` runs each POST to the page create and edit views in one transaction
  (CSRF and the other middleware have run: it is last in ``MIDDLEWARE``);
- the page form's ``clean`` first locks the parent page's row (``lock_parent``), so the second form under that
  parent checks its slug only once the first has committed, and is told the slug is taken, as a form error.

Page writes elsewhere (moves, copies, code) keep Wagtail's own checks. On SQLite (``make run``), row locks do
not exist; its single writer makes such a race unlikely there.
"""

from django.db import transaction
from wagtail.models import Page

PAGE_FORM_VIEWS = frozenset({"wagtailadmin_pages:add", "wagtailadmin_pages:edit"})


def lock_parent(parent: Page | None) -> None:
    """Within a page form's transaction, wait for any other page form writing under ``parent``, then bring
    ``parent``'s count of children up to date: the view loaded it before the wait, and the tree reads that
    count to list the children (a parent counted childless has none) and to place a new child."""
    if parent is None or not transaction.get_connection().in_atomic_block:
        return
    parent.numchild = Page.objects.select_for_update().values_list("numchild", flat=True).get(pk=parent.pk)


class PageFormTransactionMiddleware:
    """See the module docstring."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.method != "POST" or request.resolver_match.view_name not in PAGE_FORM_VIEWS:
            return None
        with transaction.atomic():
            return view_func(request, *view_args, **view_kwargs)
