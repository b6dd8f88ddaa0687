"""Page slugs: readable pinyin for Chinese titles, and who holds a slug.

**Pinyin.** A Chinese title becomes its words in toneless pinyin joined by hyphens (秀山脐橙的故事 →
``xiushan-qicheng-de-gushi``): jieba cuts the words (its dictionary is loaded at start-up for the catalogue's
search, ``catalog.search.warm_up``), pypinyin spells them (ü as ``v``). Latin letters and digits are kept, in
lower case and without accents; everything else separates words. A slug is never longer than a page slug may
be, and is cut between words. The page editor fills the slug as the editor types the title
(``cms/static/cms/js/pinyin-slug.js`` asks ``slug_view``), and the page form fills an empty slug on the server.

**Who holds a slug.** Siblings may not share a slug. A sibling that holds it gives it up only when it is an
abandoned autosaved draft (``cms.autosave.is_abandoned``); otherwise the editor is told, in Chinese, which page
holds it, with a link to open that page in a new tab (``slug_taken_message``).
"""

import jieba
from django.http import HttpRequest, JsonResponse
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.text import slugify
from django.utils.translation import gettext as _
from pypinyin import lazy_pinyin
from wagtail.admin.admin_url_finder import AdminURLFinder
from wagtail.models import Page

from catalog.search import CJK_RUN
from cms.autosave import is_abandoned

SLUG_MAX_LENGTH = 255  # Page.slug's max_length
TITLE_MAX_LENGTH = 255  # what slug_view reads of a title


def pinyin_slug(text: str, max_length: int = SLUG_MAX_LENGTH) -> str:
    """The slug of ``text``: Chinese words in pinyin, Latin words kept, joined by hyphens; "" when nothing is
    left (a title of punctuation)."""
    pieces, start = [], 0
    for run in CJK_RUN.finditer(text or ""):
        pieces.append(text[start : run.start()])
        pieces += ["".join(lazy_pinyin(word, errors=lambda chars: [" "] * len(chars))) for word in jieba.cut(run[0])]
        start = run.end()
    pieces.append((text or "")[start:])
    slug = slugify(" ".join(pieces))
    if len(slug) <= max_length:
        return slug
    cut = slug[: max_length + 1]
    return (cut.rsplit("-", 1)[0] if "-" in cut else cut[:max_length]).strip("-")


def slug_holder(slug: str, parent: Page | None, page: Page | None = None) -> Page | None:
    """The sibling of ``page`` under ``parent`` that holds ``slug``, if any."""
    if not slug or parent is None:
        return None
    siblings = parent.get_children()
    if page is not None and page.pk:
        siblings = siblings.exclude(pk=page.pk)
    return siblings.filter(slug=slug).first()


def free_slug(base: str, parent: Page | None, page: Page | None = None, *, claim_abandoned: bool = True) -> str:
    """``base``, or ``base-2``, ``base-3``… : the first no sibling holds (with ``claim_abandoned``, an abandoned
    autosaved draft's slug counts as free: the page form takes it on save)."""
    if not base or parent is None:
        return base
    siblings = parent.get_children().filter(slug__startswith=base)
    if page is not None and page.pk:
        siblings = siblings.exclude(pk=page.pk)
    held = {sibling.slug: sibling for sibling in siblings}
    candidate, suffix = base, 1
    while candidate in held and not (claim_abandoned and is_abandoned(held[candidate])):
        suffix += 1
        tail = f"-{suffix}"
        candidate = base[: SLUG_MAX_LENGTH - len(tail)] + tail
    return candidate


def slug_taken_message(holder: Page, slug: str, user) -> SafeString:
    """What the editor is told when ``holder`` keeps ``slug``: which page (a draft never published is said to
    be one), and a link to open it in a new tab when the editor may edit it."""
    values = {"slug": slug, "title": holder.get_admin_display_title()}
    if not holder.live and holder.last_published_at is None:
        text = _(
            "The slug “%(slug)s” is already used by the draft “%(title)s”, which has never been published. "
            "Delete that draft or change its slug, or choose another slug here."
        )
    else:
        text = _("The slug “%(slug)s” is already used by the page “%(title)s”. Choose another slug.")
    edit_url = AdminURLFinder(user).get_edit_url(holder) if user is not None else None
    if not edit_url:
        return format_html("{}", text % values)
    return format_html(
        '{} <a href="{}" target="_blank" rel="noopener">{}</a>',
        text % values,
        edit_url,
        _("Open “%(title)s”") % values,
    )


def slug_view(request: HttpRequest) -> JsonResponse:
    """``?title=…`` → ``{"slug": …}``: the pinyin slug the page editor suggests (admin only, reads nothing)."""
    return JsonResponse({"slug": pinyin_slug(request.GET.get("title", "")[:TITLE_MAX_LENGTH])})
