"""Tokens issued before the toolkit stored only their SHA-256 (COMPLIANT_BCP_RFC9700_TOKEN_STORAGE)
keep working through that checksum; their plain text is blanked, as the toolkit leaves new ones."""

from django.db import migrations


def forget_plaintext(apps, schema_editor):
    for name in ("AccessToken", "RefreshToken"):
        model = apps.get_model("oauth2_provider", name)
        model.objects.exclude(token="").exclude(token_checksum="").update(token="")


class Migration(migrations.Migration):
    dependencies = [
        ("tracking", "0002_partitioned_by_month"),
        ("oauth2_provider", "0022_refreshtoken_token_family_index"),
    ]

    operations = [migrations.RunPython(forget_plaintext, migrations.RunPython.noop)]
