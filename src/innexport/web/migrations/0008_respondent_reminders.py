"""When a further respondent's link was last e-mailed and its reminders since (the director's link's
schedule, :func:`innexport.web.services.reminders_due`, for every respondent)."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('web', '0007_respondents_reviews_reference'),
    ]

    operations = [
        migrations.AddField(
            model_name='respondent',
            name='sent_at',
            field=models.DateTimeField(blank=True, help_text='when their link was last e-mailed', null=True),
        ),
        migrations.AddField(
            model_name='respondent',
            name='reminders_sent',
            field=models.PositiveSmallIntegerField(default=0, help_text='since the link was last e-mailed'),
        ),
        migrations.AddField(
            model_name='respondent',
            name='last_reminder_at',
            field=models.DateTimeField(blank=True, null=True),
        ),
    ]
