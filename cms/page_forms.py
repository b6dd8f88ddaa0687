"""The admin forms of the editorial pages: slugs in pinyin, and a slug taken said in Chinese.

Page models take ``PinyinSlugPageMixin``, which gives them ``PageForm`` and a pinyin slug when saved
without one outside the admin.

- An empty slug is filled from the title in pinyin (``cms.slugs.pinyin_slug``), the first free among
  ``slug``, ``slug-2``…, so an editor need not type one (Wagtail's form requires it).
- A slug another page holds is refused with a message naming that page and linking to it
  (``cms.slugs.slug_taken_message``), unless the holder is an abandoned autosaved draft: then this page takes
  the slug when it is saved, and the draft keeps its content under another slug (``cms.autosave``).
- The check and the write happen with the parent locked (``cms.page_writes``): two forms under one parent at
  once check one after the other, so the second is told the slug is taken rather than failing on write.
"""

from wagtail.admin.forms import WagtailAdminPageForm
from wagtail.contrib.forms.forms import WagtailAdminFormPageForm

from cms.autosave import is_abandoned, release_slug
from cms.page_writes import lock_parent
from cms.slugs import free_slug, pinyin_slug, slug_holder, slug_taken_message


class PinyinSlugFormMixin:
    """See the module docstring."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.slug_released_by = None
        if "slug" in self.fields:
            self.fields["slug"].required = False

    def _parent(self):
        return self.parent_page or (self.instance.get_parent() if self.instance.pk else None)

    def clean(self):
        data = self.cleaned_data
        parent = self._parent()
        lock_parent(parent)
        if "slug" in data and not data["slug"] and data.get("title"):
            data["slug"] = free_slug(pinyin_slug(data["title"]), parent, self.instance)
        slug = data.get("slug")
        holder = slug_holder(slug, parent, self.instance) if slug else None
        if holder is not None:
            del data["slug"]  # Wagtail's own check (in the base class's clean) looks only at a cleaned slug
        data = super().clean()
        if holder is not None:
            if is_abandoned(holder):
                data["slug"] = slug
                self.slug_released_by = holder
            else:
                self.add_error("slug", slug_taken_message(holder, slug, getattr(self, "for_user", None)))
        return data

    def save(self, commit=True):
        if self.slug_released_by is not None:
            release_slug(self.slug_released_by)
            self.slug_released_by = None
        return super().save(commit=commit)


class PageForm(PinyinSlugFormMixin, WagtailAdminPageForm):
    pass


class FormPageForm(PinyinSlugFormMixin, WagtailAdminFormPageForm):
    pass


class PinyinSlugPageMixin:
    """For page models: the admin edits them with ``PageForm``, and a page saved without a slug outside the
    admin gets its title in pinyin, de-duplicated among its siblings, rather than Wagtail's Chinese slug."""

    base_form_class = PageForm

    def full_clean(self, *args, **kwargs):
        if not self.slug and self.path and self.title:
            self.slug = free_slug(pinyin_slug(self.title), self.get_parent(), self, claim_abandoned=False)
        return super().full_clean(*args, **kwargs)
