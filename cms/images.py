"""The image library's upload form (``WAGTAILIMAGES_IMAGE_FORM_BASE``), used by every image upload:
the library's add and edit views, the multiple upload and the image chooser's upload.

Wagtail checks the pixel count with Pillow, which refuses to open a file whose header claims more
than about 179 million pixels (``DecompressionBombError``): a few KB of PNG claiming 40000 x 40000
would give a 500. Here that is a form error, like any other image over ``WAGTAILIMAGES_MAX_IMAGE_PIXELS``.
"""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from PIL import Image as PILImage
from wagtail.images.fields import WagtailImageField
from wagtail.images.forms import BaseImageForm


class LimitedImageField(WagtailImageField):
    """Wagtail's image field; an image Pillow refuses as a decompression bomb is a validation error."""

    def check_image_pixel_size(self, f):
        try:
            super().check_image_pixel_size(f)
        except (PILImage.DecompressionBombError, PILImage.DecompressionBombWarning) as exc:
            raise ValidationError(
                _("This file has too many pixels. Maximum pixels %(max_pixels_count)s."),
                code="file_too_many_pixels",
                params={"max_pixels_count": self.max_image_pixels},
            ) from exc


class ImageForm(BaseImageForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields.get("file")
        if type(field) is WagtailImageField:
            # Wagtail builds the field itself (``formfield_for_dbfield``); only its checks differ.
            field.__class__ = LimitedImageField
