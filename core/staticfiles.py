"""Static files in production: WhiteNoise's compressed files with hashed names, each address worked out once."""

from whitenoise.storage import CompressedManifestStaticFilesStorage

# Enough for every file the templates name; a name past it is looked up each time, never stored.
KEPT_URLS = 2000


class StaticFilesStorage(CompressedManifestStaticFilesStorage):
    """The manifest is read when the process starts and does not change while it runs (a deploy starts new
    processes), so a name's hashed address is kept after its first lookup: every page asks for the same dozen
    files, and working each out again (manifest, quoting, joining) was a tenth of a product page's template.
    A name missing from the manifest still raises every time."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._urls: dict[str, str] = {}

    def url(self, name: str, force: bool = False) -> str:
        if force:
            return super().url(name, force)
        url = self._urls.get(name)
        if url is None:
            url = super().url(name)
            if len(self._urls) < KEPT_URLS:
                self._urls[name] = url
        return url
