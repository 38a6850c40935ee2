from django.db import migrations

from pulsebridge.devices.catalogue import seed_catalogue


class Migration(migrations.Migration):
    dependencies = [("devices", "0002_initial")]

    operations = [migrations.RunPython(seed_catalogue, migrations.RunPython.noop)]
