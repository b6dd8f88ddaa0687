"""Both locales ship: every string in the code is translated to Chinese and compiled."""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import translation

ROOT = Path(settings.BASE_DIR)
SOURCE_DIRS = ["catalog", "cms", "config", "core", "demo", "orders", "storefront", "worker", "templates"]


def statistics(po: Path) -> dict[str, int]:
    """msgfmt's counts of translated, fuzzy and untranslated messages in a .po file."""
    result = subprocess.run(
        ["msgfmt", "--check", "--statistics", "-o", "/dev/null", str(po)],
        capture_output=True,
        text=True,
        check=True,
        env={"LC_ALL": "C", "PATH": "/usr/bin:/bin"},
    )
    counts = {"translated": 0, "fuzzy": 0, "untranslated": 0}
    for number, word in re.findall(r"(\d+) (translated|fuzzy|untranslated)", result.stderr):
        counts[word] = int(number)
    return counts


@pytest.fixture(scope="module")
def extracted(tmp_path_factory) -> Path:
    """Run makemessages on a copy of the source, to see the strings the code uses today."""
    copy = tmp_path_factory.mktemp("src")
    for name in SOURCE_DIRS:
        if (ROOT / name).exists():
            shutil.copytree(ROOT / name, copy / name, ignore=shutil.ignore_patterns("__pycache__", "static"))
    shutil.copy(ROOT / "manage.py", copy / "manage.py")
    shutil.copytree(ROOT / "locale", copy / "locale")
    subprocess.run(
        [sys.executable, "manage.py", "makemessages", "--locale", "zh_Hans", "--no-obsolete", "--no-location"],
        cwd=copy,
        check=True,
        capture_output=True,
        env={
            "PATH": "/usr/bin:/bin",
            "DJANGO_SETTINGS_MODULE": "config.settings.dev",
            "DATABASE_URL": "sqlite:///:memory:",
            "PYTHONPATH": str(copy),
        },
    )
    return copy / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"


def test_every_string_in_the_code_has_a_chinese_translation(extracted):
    counts = statistics(extracted)
    assert counts["translated"] > 100
    assert (counts["fuzzy"], counts["untranslated"]) == (0, 0), f"{counts}: run make messages and translate"


def test_compiled_catalogues_are_shipped_and_current():
    for lang in ("zh_Hans", "en"):
        po = ROOT / "locale" / lang / "LC_MESSAGES" / "django.po"
        mo = po.with_suffix(".mo")
        assert po.exists() and mo.exists(), lang
        result = subprocess.run(["msgfmt", "--check", "-o", "-", str(po)], capture_output=True, check=True)
        assert result.stdout == mo.read_bytes(), f"{mo} is stale: run make messages"


def test_chinese_is_the_default_and_english_the_second_language():
    assert settings.LANGUAGE_CODE == "zh-hans"
    with translation.override("zh-hans"):
        assert translation.gettext("Products") == "商品"
    with translation.override("en"):
        assert translation.gettext("Products") == "Products"
