from django.db import migrations

from pulsebridge.lib import encryption

FIELDS = ["secret", "auth_key"]


def encrypt_existing(apps, schema_editor):
    """The secrets stored in clear until now, encrypted under the newest FIELD_ENCRYPTION_KEYS key."""
    encryption.reencrypt(apps.get_model("webhooks", "WebhookEndpoint"), FIELDS)


def decrypt_existing(apps, schema_editor):
    encryption.decrypt_in_place(apps.get_model("webhooks", "WebhookEndpoint"), FIELDS)


class Migration(migrations.Migration):
    dependencies = [
        ("webhooks", "0005_partitioned_by_month"),
    ]

    operations = [
        migrations.AlterField(
            model_name="webhookendpoint",
            name="auth_key",
            field=encryption.EncryptedTextField(blank=True, default="", max_length=1000),
        ),
        migrations.AlterField(
            model_name="webhookendpoint",
            name="secret",
            field=encryption.EncryptedTextField(blank=True, default="", max_length=256),
        ),
        migrations.RunPython(encrypt_existing, decrypt_existing),
    ]
