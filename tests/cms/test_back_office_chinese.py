"""Wagtail's own back-office strings read in Chinese: the ones its zh_Hans catalogue lacks or words badly come
from ``locale_wagtail/`` (live pages are 已发布, not 在用); the moderation workflow has Chinese names."""

import importlib
import json
import re
import subprocess
from pathlib import Path

import pytest
import wagtail
from django.apps import apps
from django.conf import settings
from django.urls import reverse
from django.utils import translation
from wagtail.models import Task, Workflow
from wagtail.test.utils.form_data import inline_formset, nested_form_data, streamfield

from tests import factories
from tests.cms.helpers import make_story

pytestmark = pytest.mark.django_db

ROOT = Path(settings.BASE_DIR)
CATALOGUES = ROOT / "locale_wagtail" / "zh_Hans" / "LC_MESSAGES"
WAGTAIL_TEMPLATES = Path(wagtail.__file__).parent / "admin" / "templates"


@pytest.fixture
def stories(story_index):
    return [make_story(story_index, title=f"织锦故事{i}", slug=f"brocade-{i}") for i in range(3)]


def test_the_wagtail_catalogue_comes_after_the_projects_own():
    """makemessages writes into the first path: it must stay the project's ``locale/``."""
    assert settings.LOCALE_PATHS == [ROOT / "locale", ROOT / "locale_wagtail"]


@pytest.mark.parametrize("domain", ["django", "djangojs"])
def test_the_wagtail_catalogues_are_compiled_and_current(domain):
    po = CATALOGUES / f"{domain}.po"
    result = subprocess.run(["msgfmt", "--check", "-o", "-", str(po)], capture_output=True, check=True)
    assert result.stdout == po.with_suffix(".mo").read_bytes(), f"{po} changed: run make messages"


def test_wagtail_strings_read_in_chinese():
    with translation.override("zh-hans"):
        assert translation.gettext("live") == "已发布"
        assert translation.gettext("Search all pages…") == "搜索所有页面…"
        assert translation.gettext("Oldest") == "最早"
        assert (
            translation.ngettext(
                '%(total)s Image <span class="w-sr-only">created in %(site_name)s</span>',
                '%(total)s Images <span class="w-sr-only">created in %(site_name)s</span>',
                70,
            )
            % {"total": 70, "site_name": "德秀集市"}
            == '70 张图片<span class="w-sr-only">（建于 德秀集市）</span>'
        )
        assert (
            translation.gettext("%(start_index)s-%(end_index)s of %(items_count)s %(model_name)s")
            % {
                "start_index": 1,
                "end_index": 7,
                "items_count": 7,
                "model_name": "页面",
            }
            == "第 1-7 个，共 7 个页面"
        )
    with translation.override("en"):
        assert translation.gettext("live") == "live"


def test_the_explorer_shows_live_pages_as_published_in_chinese(client, operator, story_index, stories):
    client.force_login(operator)
    html = client.get(reverse("wagtailadmin_explore", args=(story_index.pk,))).content.decode()
    assert "已发布" in html and "在用" not in html
    assert "第 1-3 个，共 3 个" in html
    assert "Exploring" not in html and "浏览" in html


def test_the_dashboard_and_images_read_in_chinese(client, editor):
    client.force_login(editor)
    html = client.get(reverse("wagtailadmin_home")).content.decode()
    assert 'placeholder="搜索所有页面…"' in html
    assert "编辑指南" in html and "editor guide" not in html
    assert 'value="搜索"' in html and 'value="Search"' not in html
    html = client.get(reverse("wagtailimages:index")).content.decode()
    assert "最早" in html and "使用次数：（从多到少）" in html and "Oldest" not in html


def test_a_new_page_with_a_sibling_slug_is_refused_in_chinese(client, editor, story_index, stories):
    client.force_login(editor)
    add = reverse("wagtailadmin_pages:add", args=("cms", "storypage", story_index.pk))
    form = nested_form_data(
        {
            "title": "织锦新品",
            "slug": stories[1].slug,
            "date": "2026-11-20",
            "body": streamfield([]),
            "comments": inline_formset([]),
        }
    )
    response = client.post(add, form)
    html = response.content.decode()
    assert response.status_code == 200
    assert "存在验证错误，页面未能创建。" in html and "validation errors" not in html
    (error,) = response.context["form"].errors["slug"]
    text = re.sub(r"<[^>]+>", "", error).replace(stories[1].slug, "")
    words = [word for word in re.findall(r"[A-Za-z]{2,}", text) if word != "URL"]  # "URL 别名": the slug
    assert stories[1].slug in error and words == [], error  # said in Chinese, naming the slug


def test_the_workflow_is_named_in_chinese_and_its_action_reads_naturally(client, editor, story_index, stories):
    assert Workflow.objects.filter(name="审核", active=True).exists()
    assert Task.objects.filter(name="编辑审核").exists()
    assert not Workflow.objects.filter(name="Moderators approval").exists()
    client.force_login(editor)
    html = client.get(reverse("wagtailadmin_pages:edit", args=(stories[0].pk,))).content.decode()
    assert "提交审核" in html and "Moderators" not in html


def test_the_workflow_names_migration_is_idempotent_and_reversible():
    migration = importlib.import_module("cms.migrations.0007_chinese_workflow_names")
    names = lambda: (  # noqa: E731
        sorted(Workflow.objects.values_list("name", flat=True)),
        sorted(Task.objects.values_list("name", flat=True)),
    )
    chinese = names()
    migration.to_chinese(apps, None)
    assert names() == chinese
    migration.to_english(apps, None)
    assert names() == (["Moderators approval"], ["Moderators approval"])
    migration.to_chinese(apps, None)
    assert names() == chinese == (["审核"], ["编辑审核"])


def test_a_workflow_operators_renamed_keeps_its_name():
    migration = importlib.import_module("cms.migrations.0007_chinese_workflow_names")
    Workflow.objects.update(name="Moderators approval")
    renamed = Workflow.objects.create(name="Campaign sign-off")
    migration.to_chinese(apps, None)
    renamed.refresh_from_db()
    assert renamed.name == "Campaign sign-off"
    assert Workflow.objects.filter(name="审核").count() == 1


def test_the_javascript_catalogue_has_the_missing_strings(client, editor):
    client.force_login(editor)
    script = client.get(reverse("wagtailadmin_javascript_catalog")).content.decode("utf-8")
    for text in ("正在自动保存…", "（此菜单中有 %(number)s 个新项目）"):
        assert json.dumps(text)[1:-1] in script, text  # the catalogue is JSON, its Chinese \u-escaped


SEARCH = ('value="Search"', "value=\"{% translate 'Search' %}\"")
ACTIONS = ('aria-label="Actions"', "aria-label=\"{% translate 'Actions' %}\"")


@pytest.mark.parametrize(
    ("template", "original", "translated"),
    [
        ("wagtailadmin/home.html", *SEARCH),
        ("wagtailadmin/shared/header.html", *SEARCH),
        ("wagtailadmin/shared/headers/_actions.html", *ACTIONS),
    ],
)
def test_the_overridden_wagtail_templates_differ_only_by_their_translation(template, original, translated):
    """The copies in templates/ are Wagtail's but for the string they translate: an upgrade that changes
    Wagtail's template fails here, to be copied again."""
    ours = (ROOT / "templates" / template).read_text().split("\n", 1)[1]  # the first line says why
    ours = ours.replace("{% load i18n %}\n", "", 1) if template.endswith("_actions.html") else ours
    assert ours.replace(translated, original) == (WAGTAIL_TEMPLATES / template).read_text()


def test_boolean_cells_are_read_out_in_chinese(client, operator):
    factories.make_merchant(name="隘口镇土家织锦非遗工坊")
    client.force_login(operator)
    html = client.get("/admin/merchants/").content.decode()
    assert re.search(r'<span class="w-sr-only">\s*是\s*</span>', html)
    assert not re.search(r'<span class="w-sr-only">\s*(True|False)\s*</span>', html)
