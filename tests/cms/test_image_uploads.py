"""Image uploads: a small file that claims huge dimensions (a decompression bomb) is a form error
wherever images are uploaded — the image library, the multiple upload and the chooser's upload."""

import io
import struct
import zlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image as PILImage
from wagtail.images import get_image_model

from tests.catalog.admin_world import url
from tests.fixtures.http import login


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def bomb_png(width: int = 40_000, height: int = 40_000) -> bytes:
    """A valid PNG header claiming ``width`` x ``height`` grey pixels, with a few KB of compressed data."""
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit greyscale
    data = zlib.compress(b"\x00" * (width + 1) * 64, 9)  # the first 64 rows only; enough to look real
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", data) + _chunk(b"IEND", b"")


def bomb_upload() -> SimpleUploadedFile:
    content = bomb_png()
    assert len(content) < 20_000
    return SimpleUploadedFile("bomb.png", content, content_type="image/png")


@pytest.fixture
def as_merchant(client, world):
    return login(client, world.alice)


def test_bomb_in_the_image_library_is_a_form_error(as_merchant):
    response = as_merchant.post(url("wagtailimages:add"), {"title": "炸弹", "file": bomb_upload()})

    assert response.status_code == 200
    assert [error.code for error in response.context["form"].errors.as_data()["file"]] == ["file_too_many_pixels"]
    assert not get_image_model().objects.filter(title="炸弹").exists()


def test_bomb_in_the_multiple_upload_is_a_form_error(as_merchant):
    response = as_merchant.post(
        url("wagtailimages:add_multiple"), {"files[]": bomb_upload()}, headers={"x-requested-with": "XMLHttpRequest"}
    )

    assert response.status_code == 200
    assert response.json()["success"] is False
    assert "too many pixels" in response.json()["error_message"]
    assert not get_image_model().objects.exists()


def test_bomb_in_the_chooser_upload_is_a_form_error(as_merchant):
    response = as_merchant.post(
        url("wagtailimages_chooser:create"),
        {"image-chooser-upload-title": "炸弹", "image-chooser-upload-file": bomb_upload()},
    )

    assert response.status_code == 200
    assert response.json()["step"] == "reshow_creation_form"
    assert "too many pixels" in response.json()["htmlFragment"]
    assert not get_image_model().objects.exists()


def test_an_ordinary_image_is_still_accepted(as_merchant):
    buffer = io.BytesIO()
    PILImage.new("RGB", (64, 48), (243, 128, 24)).save(buffer, format="PNG")
    picture = SimpleUploadedFile("oil.png", buffer.getvalue(), content_type="image/png")

    response = as_merchant.post(url("wagtailimages:add"), {"title": "茶油", "file": picture})

    assert response.status_code == 302
    assert get_image_model().objects.filter(title="茶油").exists()
