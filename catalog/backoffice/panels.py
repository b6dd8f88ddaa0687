"""Edit-form panels shared by merchants and products (both carry marks and an aid certificate).

Quality marks and the aid certificate are attested by the operators: the fields are in the form
only for holders of ``catalog.access_all_merchants``; for anyone else Wagtail leaves them out of the
form, so a crafted POST cannot change them either.
"""

from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel, MultiFieldPanel

from catalog.selectors import ALL_MERCHANTS_PERMISSION

QUALITY_MARK_FIELDS = ("geographical_indication", "green_food", "organic")
AID_CERTIFICATE_FIELDS = ("aid_certificate_number", "aid_certificate_issuer", "aid_certificate_valid_until")


def quality_marks_panel() -> MultiFieldPanel:
    return MultiFieldPanel(
        [FieldPanel(name, permission=ALL_MERCHANTS_PERMISSION) for name in QUALITY_MARK_FIELDS],
        heading=_("Quality marks"),
        permission=ALL_MERCHANTS_PERMISSION,
    )


def aid_certificate_panel() -> MultiFieldPanel:
    return MultiFieldPanel(
        [FieldPanel(name, permission=ALL_MERCHANTS_PERMISSION) for name in AID_CERTIFICATE_FIELDS],
        heading=_("Consumption-aid certificate"),
        permission=ALL_MERCHANTS_PERMISSION,
    )
