from django.db import migrations, models


def _never_asked_to_unknown(apps, schema_editor):
    """Patients enrolled from an intake form got "Prefer not to say" without being asked
    (the form never asked, and the field defaulted to it). Unless a later edit recorded
    their sex (an audit event with a "sex" change), they become "Not recorded"."""
    Patient = apps.get_model("patients", "Patient")
    AuditEvent = apps.get_model("audit", "AuditEvent")
    edited = set(
        AuditEvent.objects.filter(changes__has_key="sex")
        .exclude(patient_id=None)
        .values_list("patient_id", flat=True)
    )
    never_asked = (
        Patient.objects.filter(sex="undisclosed", intake__isnull=False)
        .exclude(pk__in=edited)
        .values_list("pk", flat=True)
    )
    Patient.objects.filter(pk__in=list(never_asked)).update(sex="unknown")


class Migration(migrations.Migration):
    dependencies = [
        ("patients", "0002_patient_updated_at"),
        ("intake", "0001_initial"),
        ("audit", "0002_append_only_triggers"),
    ]

    operations = [
        migrations.AlterField(
            model_name="patient",
            name="sex",
            field=models.CharField(
                choices=[
                    ("female", "Female"),
                    ("male", "Male"),
                    ("intersex", "Intersex"),
                    ("undisclosed", "Prefer not to say"),
                    ("unknown", "Not recorded"),
                ],
                default="unknown",
                help_text="Only what the person said; “Not recorded” until someone asks them.",
                max_length=20,
            ),
        ),
        migrations.RunPython(_never_asked_to_unknown, migrations.RunPython.noop, elidable=True),
    ]
