from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("treatment", "0005_session_alert_acknowledged_note"),
    ]

    operations = [
        migrations.AddField(
            model_name="plannedsession",
            name="planned_time",
            field=models.TimeField(
                blank=True,
                help_text="Planned start time, in the clinic's timezone; empty = some time that day.",
                null=True,
            ),
        ),
    ]
