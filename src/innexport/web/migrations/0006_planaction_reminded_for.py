"""The due date an advisor was last reminded of for each plan action (reminders of actions due)."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('web', '0005_director_link_contact_email'),
    ]

    operations = [
        migrations.AddField(
            model_name='planaction',
            name='reminded_for',
            field=models.DateField(blank=True, help_text='the due date the advisor was last reminded of', null=True),
        ),
    ]
