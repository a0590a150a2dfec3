"""The firm's contact e-mail (where the director's private link is sent) and the private link's mailing
state (:class:`innexport.web.models.DirectorLink`: invitation, reminders, the director's "finished").
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('web', '0004_answer_comment_max_length'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='firm',
            name='contact_email',
            field=models.EmailField(blank=True, help_text="The director's address: the private link is sent there.", max_length=254, verbose_name='contact e-mail'),
        ),
        migrations.CreateModel(
            name='DirectorLink',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('email', models.EmailField(blank=True, max_length=254, verbose_name="director's e-mail")),
                ('sent_at', models.DateTimeField(blank=True, help_text='when the invitation was last e-mailed', null=True)),
                ('reminders_sent', models.PositiveSmallIntegerField(default=0, help_text='since the last invitation')),
                ('last_reminder_at', models.DateTimeField(blank=True, null=True)),
                ('finished_at', models.DateTimeField(blank=True, help_text='when the director said they had finished (since the invitation)', null=True)),
                ('assessment', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='director_link', to='web.assessment')),
                ('opened_by', models.ForeignKey(blank=True, help_text='the advisor who last opened or extended the link', null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('sent_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'indexes': [models.Index(fields=['sent_at'], name='directorlink_sent_at')],
            },
        ),
    ]
