"""Move ``Assessment.result`` (a large JSON document, ~30 kB) to the end of the table's row.

SQLite stores a row's columns in order and a large value spills over onto overflow pages: every
column after ``result`` (the firm, the organisation, the summary columns that the portfolio reads)
was reached only by walking those pages, a third of the portfolio's time for 30,000 diagnostics.
A new column is always added last, so the document is copied into one and the old one dropped.
PostgreSQL keeps large values out of line anyway; the change is harmless there.
"""

from django.db import migrations, models
from django.db.models import F


def _copy(apps, schema_editor):
    apps.get_model("web", "Assessment").objects.update(result_last=F("result"))


def _copy_back(apps, schema_editor):
    apps.get_model("web", "Assessment").objects.update(result=F("result_last"))


class Migration(migrations.Migration):

    dependencies = [("web", "0002_plans_programmes_summary")]

    operations = [
        migrations.AddField("assessment", "result_last",
                            models.JSONField(null=True, blank=True, help_text="the FirmResult, once scored")),
        migrations.RunPython(_copy, _copy_back),
        migrations.RemoveField("assessment", "result"),
        migrations.RenameField("assessment", "result_last", "result"),
    ]
