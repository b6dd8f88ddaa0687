"""Writes for the editorial pages: the stories' search text and contact-form submissions.

The page models call these (a story's ``pre_save``, the contact page's ``process_form_submission``), so
this module takes pages as Wagtail's base types and imports no cms model.
"""

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils.html import strip_tags
from wagtail.contrib.forms.models import AbstractForm, AbstractFormSubmission
from wagtail.models import Page

from catalog.notifications import notify_operators
from catalog.search import build_search_text

CONTACT_TEMPLATE = "contact_submission"
# Raw StreamField keys that hold ids, addresses or block bookkeeping rather than words.
SKIPPED_KEYS = {"id", "type", "product", "products", "merchant", "image", "video", "page", "url"}


def story_search_text(story: Page) -> str:
    """The segmented text a story is found by: title, introduction, body text, merchant and township."""
    merchant = story.merchant
    return build_search_text(
        story.title,
        story.intro,
        _stream_text(story),
        merchant.name if merchant else "",
        story.get_township_display(),
    )


def _stream_text(story: Page) -> str:
    """The plain words of the body's paragraphs, quotes, captions and facts (no product lookups)."""
    words: list[str] = []

    def walk(value) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                if key not in SKIPPED_KEYS:
                    walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)
        elif isinstance(value, str):
            words.append(strip_tags(value))

    walk([item.get("value") for item in story.body.raw_data])
    return " ".join(words)


def record_form_submission(page: AbstractForm, form) -> AbstractFormSubmission:
    """Store the submission and e-mail the operators through the outbox, in one transaction."""
    with transaction.atomic():
        submission = page.get_submission_class().objects.create(form_data=form.cleaned_data, page=page)
        fields = [
            {"label": field.label, "value": str(form.cleaned_data.get(field.clean_name, ""))}
            for field in page.get_form_fields()
        ]
        notify_operators(
            template=CONTACT_TEMPLATE,
            payload={
                "page": page.title,
                "fields": fields,
                "submissions_url": settings.WAGTAILADMIN_BASE_URL.rstrip("/")
                + reverse("wagtailforms:list_submissions", args=[page.pk]),
            },
            key=f"form-submission-{submission.pk}",
        )
    return submission
