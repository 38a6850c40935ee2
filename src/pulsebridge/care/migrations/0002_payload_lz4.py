"""A batch body is up to 6 MB of JSON, written once in the request that receives it. PostgreSQL
compresses such values with pglz by default, which costs about 0.1 s per megabyte in that
request; lz4 (PostgreSQL 14+, when built with it) compresses as well for JSON at a few times the
speed. Where lz4 is not available the column keeps the server's default."""

from django.db import DatabaseError, migrations, transaction


def use_lz4(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "postgresql" or connection.pg_version < 140000:
        return
    try:
        with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
            cursor.execute("ALTER TABLE care_importbatch ALTER COLUMN payload SET COMPRESSION lz4")
    except DatabaseError:  # a server built without lz4
        pass


class Migration(migrations.Migration):
    dependencies = [("care", "0001_initial")]

    operations = [migrations.RunPython(use_lz4, migrations.RunPython.noop)]
