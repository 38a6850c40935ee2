import django.utils.timezone
from django.db import migrations, models


def from_created(apps, schema_editor):
    """Rows written before the field existed last changed, as far as anyone knows, when they
    were created."""
    for name in ("Patient", "Device"):
        model = apps.get_model("devices", name)
        model.objects.update(updated_at=models.F("created_at"))


class Migration(migrations.Migration):
    dependencies = [
        ("devices", "0005_assignments"),
    ]

    operations = [
        migrations.AddField(
            model_name="patient",
            name="updated_at",
            field=models.DateTimeField(auto_now=True, default=django.utils.timezone.now),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="device",
            name="updated_at",
            field=models.DateTimeField(auto_now=True, default=django.utils.timezone.now),
            preserve_default=False,
        ),
        migrations.RunPython(from_created, migrations.RunPython.noop, elidable=True),
        migrations.AddIndex(
            model_name="patient",
            index=models.Index(
                fields=["company", "updated_at", "id"], name="patient_company_updated"
            ),
        ),
        migrations.AddIndex(
            model_name="device",
            index=models.Index(
                fields=["company", "updated_at", "id"], name="device_company_updated"
            ),
        ),
    ]
