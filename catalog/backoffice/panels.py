"""Edit-form panels shared by merchants and products (both carry marks and an aid certificate)."""

from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel, MultiFieldPanel


def quality_marks_panel() -> MultiFieldPanel:
    return MultiFieldPanel(
        [FieldPanel("geographical_indication"), FieldPanel("green_food"), FieldPanel("organic")],
        heading=_("Quality marks"),
    )


def aid_certificate_panel() -> MultiFieldPanel:
    return MultiFieldPanel(
        [
            FieldPanel("aid_certificate_number"),
            FieldPanel("aid_certificate_issuer"),
            FieldPanel("aid_certificate_valid_until"),
        ],
        heading=_("Consumption-aid certificate"),
    )
