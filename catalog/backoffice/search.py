"""The operators' search synonyms in the back office (Catalogue → Search synonyms).

Operators only: the screens follow the model permissions, which only the Operators role holds
(``core.roles``); merchants, counter staff and editors get neither the menu item nor the pages.
"""

from wagtail.admin.panels import FieldPanel, ObjectList
from wagtail.admin.viewsets.model import ModelViewSet

from catalog.forms import SearchSynonymForm
from catalog.models import SearchSynonym


class SearchSynonymViewSet(ModelViewSet):
    """A word and the words it also means; a change applies to the next search."""

    menu_name = "search-synonyms"  # fixed: a name derived from the label would change with the language

    model = SearchSynonym
    url_prefix = "search-synonyms"
    icon = "search"
    copy_view_enabled = False
    list_display = ["word", "synonyms", "updated_at"]
    search_fields = ["word", "synonyms"]
    edit_handler = ObjectList([FieldPanel("word"), FieldPanel("synonyms")], base_form_class=SearchSynonymForm)
