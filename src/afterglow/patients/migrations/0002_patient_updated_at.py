import django.utils.timezone
from django.db import migrations, models


def from_created_at(apps, schema_editor):
    # Rows that exist already: their last known change is their creation.
    Patient = apps.get_model("patients", "Patient")
    Patient.objects.update(updated_at=models.F("created_at"))


class Migration(migrations.Migration):
    dependencies = [
        ("patients", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="patient",
            name="updated_at",
            field=models.DateTimeField(
                auto_now=True, db_index=True, default=django.utils.timezone.now
            ),
            preserve_default=False,
        ),
        migrations.RunPython(from_created_at, migrations.RunPython.noop),
    ]
