"""Keep derived data in step: the stories' segmented search text, and the editorial cache."""

from django.db import transaction
from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver
from wagtail.models import Page, Site
from wagtail.signals import page_published, page_slug_changed, page_unpublished, post_page_move

from catalog.models import Location
from cms.models import Footer, HeadlineFigure, StoryPage
from cms.services import story_search_text
from storefront import page_cache


@receiver(pre_save, sender=StoryPage, dispatch_uid="cms_story_search_text")
def story_saving(sender, instance: StoryPage, raw: bool = False, **kwargs) -> None:
    if not raw:
        instance.search_text = story_search_text(instance)


@receiver(page_published, dispatch_uid="cms_cache_published")
@receiver(page_unpublished, dispatch_uid="cms_cache_unpublished")
@receiver(page_slug_changed, dispatch_uid="cms_cache_slug")
@receiver(post_page_move, dispatch_uid="cms_cache_moved")
@receiver(post_delete, sender=Page, dispatch_uid="cms_cache_page_deleted")
@receiver(post_save, sender=Site, dispatch_uid="cms_cache_site_saved")
@receiver(post_delete, sender=Site, dispatch_uid="cms_cache_site_deleted")
@receiver(post_save, sender=Footer, dispatch_uid="cms_cache_footer_saved")
@receiver(post_delete, sender=Footer, dispatch_uid="cms_cache_footer_deleted")
@receiver(post_save, sender=HeadlineFigure, dispatch_uid="cms_cache_figure_saved")
@receiver(post_delete, sender=HeadlineFigure, dispatch_uid="cms_cache_figure_deleted")
@receiver(post_save, sender=Location, dispatch_uid="cms_cache_location_saved")
@receiver(post_delete, sender=Location, dispatch_uid="cms_cache_location_deleted")
def editorial_content_changed(sender, **kwargs) -> None:
    """Menus, footers, home-page facts, translations and page routes are cached (``cms.caching``,
    ``cms.routes``), and shown on every cached page: all are tagged with the whole site, which is stamped now."""
    page_cache.bump()
    # Again once the change is visible to other connections: a page rendered in between is dropped too.
    transaction.on_commit(page_cache.bump)
