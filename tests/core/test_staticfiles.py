"""Production's static files: hashed addresses from the manifest, each worked out once per process."""

import json
from unittest import mock

import pytest
from whitenoise.storage import CompressedManifestStaticFilesStorage

from core.staticfiles import KEPT_URLS, StaticFilesStorage


@pytest.fixture
def storage(tmp_path, settings):
    settings.DEBUG = False
    manifest = {"paths": {"storefront/css/site.css": "storefront/css/site.3f2a1c.css"}, "version": "1.1"}
    (tmp_path / "staticfiles.json").write_text(json.dumps(manifest))
    return StaticFilesStorage(location=str(tmp_path), base_url="/static/")


def test_a_file_gets_its_hashed_address_and_it_is_worked_out_once(storage):
    parent = CompressedManifestStaticFilesStorage.url
    with mock.patch.object(CompressedManifestStaticFilesStorage, "url", autospec=True, side_effect=parent) as lookup:
        first = storage.url("storefront/css/site.css")
        again = storage.url("storefront/css/site.css")
    assert first == again == "/static/storefront/css/site.3f2a1c.css"
    assert lookup.call_count == 1


def test_a_file_missing_from_the_manifest_is_refused_every_time(storage):
    for _ in range(2):
        with pytest.raises(ValueError, match="Missing staticfiles manifest entry"):
            storage.url("storefront/css/gone.css")


def test_past_the_limit_addresses_are_worked_out_each_time_not_kept(storage):
    storage._urls.update({f"file-{n}.css": f"/static/file-{n}.css" for n in range(KEPT_URLS)})
    assert storage.url("storefront/css/site.css") == "/static/storefront/css/site.3f2a1c.css"
    assert "storefront/css/site.css" not in storage._urls
