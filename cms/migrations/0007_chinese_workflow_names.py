"""The moderation workflow and its task get Chinese names: they are data, shown as they are, so a Chinese
editor read "提交给Moderators approval". The workflow becomes 审核 (the submit action reads 提交审核) and its
task 编辑审核. Only the names Wagtail gave them are changed, so a name operators chose stays; running it
again changes nothing, and reversing it gives the English names back."""

from django.db import migrations

ENGLISH = "Moderators approval"
WORKFLOW = "审核"
TASK = "编辑审核"


def rename(apps, old_workflow: str, new_workflow: str, old_task: str, new_task: str) -> None:
    apps.get_model("wagtailcore", "Workflow").objects.filter(name=old_workflow).update(name=new_workflow)
    apps.get_model("wagtailcore", "Task").objects.filter(name=old_task).update(name=new_task)


def to_chinese(apps, schema_editor):
    rename(apps, ENGLISH, WORKFLOW, ENGLISH, TASK)


def to_english(apps, schema_editor):
    rename(apps, WORKFLOW, ENGLISH, TASK, ENGLISH)


class Migration(migrations.Migration):
    dependencies = [
        ("cms", "0006_headline_figure_source"),
    ]

    operations = [migrations.RunPython(to_chinese, to_english)]
