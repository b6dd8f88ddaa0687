"""The layer rules hold for templates too: a template never loads tags from, includes or extends a
template of a layer above its own app (Python imports are checked by ``lint-imports`` in ``make lint``).

The site's shell in the project's ``templates/`` (``base.html``: header, menu, footer) is what every
page extends; it belongs to no app and may load any app's tags.
"""

import re
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LOAD = re.compile(r"{%\s*load\s+([^%]+?)\s*%}")
REFERENCE = re.compile(r"""{%\s*(?:include|extends)\s+["']([^"']+)["']""")


def layers() -> dict[str, int]:
    """App -> rank, 0 the top, from the import-linter contract in pyproject.toml (config is the top)."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"]
    (contract,) = [c for c in config if c["type"] == "layers"]
    return {app.strip(): rank for rank, layer in enumerate(contract["layers"]) for app in layer.split("|")}


def tag_libraries() -> dict[str, str]:
    """Template tag library name -> the app that defines it."""
    return {path.stem: path.parent.parent.name for path in ROOT.glob("*/templatetags/*.py") if path.stem != "__init__"}


def template_owners() -> dict[str, str]:
    """Template name (e.g. ``cms/includes/story_card.html``) -> the app whose ``templates/`` holds it."""
    owners = {}
    for path in ROOT.glob("*/templates/**/*"):
        app = path.relative_to(ROOT).parts[0]
        if path.is_file():
            owners[str(path.relative_to(ROOT / app / "templates"))] = app
    return owners


def offences(rank: dict[str, int], libraries: dict[str, str], owners: dict[str, str], app: str, text: str) -> list:
    found = []
    for match in LOAD.finditer(text):
        for library in match.group(1).split():
            owner = libraries.get(library)
            if owner and rank[owner] < rank[app]:
                found.append(f"loads {library} ({owner})")
    for match in REFERENCE.finditer(text):
        owner = owners.get(match.group(1))
        if owner and rank[owner] < rank[app]:
            found.append(f"uses {match.group(1)} ({owner})")
    return found


def app_templates():
    rank = layers()
    for path in sorted(ROOT.glob("*/templates/**/*")):
        app = path.relative_to(ROOT).parts[0]
        if path.is_file() and app in rank:
            yield app, path


def test_the_layers_are_read_from_the_import_contract():
    rank = layers()
    assert rank["config"] < rank["cms"] < rank["storefront"] < rank["orders"] < rank["catalog"] < rank["worker"]
    assert rank["core"] == max(rank.values())


def test_no_template_reaches_up_a_layer():
    rank, libraries, owners = layers(), tag_libraries(), template_owners()
    broken = {
        str(path.relative_to(ROOT)): found
        for app, path in app_templates()
        if (found := offences(rank, libraries, owners, app, path.read_text(errors="replace")))
    }
    assert broken == {}


@pytest.mark.parametrize(
    ("app", "text", "expected"),
    [
        ("orders", "{% load i18n storefront_tags %}", ["loads storefront_tags (storefront)"]),
        ("storefront", '{% include "cms/includes/story_card.html" %}', ["uses cms/includes/story_card.html (cms)"]),
        ("cms", '{% load money storefront_tags %}{% extends "base.html" %}', []),
    ],
)
def test_the_scan_catches_a_load_or_include_from_above(app, text, expected):
    assert offences(layers(), tag_libraries(), template_owners(), app, text) == expected
