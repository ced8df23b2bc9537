"""Unsubscribe token versions; request user ids packed (binary) instead of JSON, existing rows converted."""

from django.db import migrations, models

import platform_notifications.core.packedids


def pack_user_ids(apps, schema_editor):
    request_model = apps.get_model("platform_notifications", "NotificationRequest")
    rows = request_model.objects.filter(kind="users").only("pk", "user_ids")
    for row in rows.iterator(chunk_size=500):
        request_model.objects.filter(pk=row.pk).update(user_ids_packed=list(row.user_ids))


def unpack_user_ids(apps, schema_editor):
    request_model = apps.get_model("platform_notifications", "NotificationRequest")
    for row in request_model.objects.only("pk", "user_ids_packed").iterator(chunk_size=500):
        request_model.objects.filter(pk=row.pk).update(user_ids=sorted(set(row.user_ids_packed or [])))


class Migration(migrations.Migration):
    dependencies = [
        ("platform_notifications", "0002_email_retry_at"),
    ]

    operations = [
        migrations.AddField(
            model_name="usernotificationsettings",
            name="unsubscribe_token_version",
            field=models.PositiveIntegerField(default=0),
        ),
        migrations.AddField(
            model_name="notificationrequest",
            name="user_ids_packed",
            field=platform_notifications.core.packedids.PackedIdsField(
                blank=True, default=list, help_text="Recipients of a users audience"
            ),
        ),
        migrations.RunPython(pack_user_ids, unpack_user_ids),
        migrations.RemoveField(model_name="notificationrequest", name="user_ids"),
        migrations.RenameField(model_name="notificationrequest", old_name="user_ids_packed", new_name="user_ids"),
    ]
