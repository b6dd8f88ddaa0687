"""Wagtail's view-restriction check for a page in one query instead of two."""

from django.db.models import Q, QuerySet
from wagtail.models import Page, PageViewRestriction


class ViewRestrictionsInOneQueryMixin:
    """``get_view_restrictions`` reading the page's ancestors from its tree path rather than with a query.

    Same answer as Wagtail's: restrictions on the page or an ancestor, an alias (itself or an ancestor)
    counting as its source page.
    """

    def get_view_restrictions(self) -> QuerySet[PageViewRestriction]:
        if getattr(self, "_unrestricted_when_routed", False):
            # Loaded by ``cms.routes`` for a remembered address that had no restriction when it was found; any
            # restriction since would have stamped the site, and the address been found afresh.
            return PageViewRestriction.objects.none()
        step = Page.steplen
        paths = [self.path[:end] for end in range(step, len(self.path) + 1, step)]
        pages = Page.objects.filter(path__in=paths)
        originals = pages.filter(alias_of__isnull=True).values("pk")
        sources = pages.filter(alias_of__isnull=False).values("alias_of")
        return PageViewRestriction.objects.filter(Q(page__in=originals) | Q(page__in=sources))
