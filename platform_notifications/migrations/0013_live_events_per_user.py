# The live event log becomes one row per user and event (it was never written before): recreated, empty.

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('platform_notifications', '0012_digest_frequency'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.DeleteModel(name='LiveEvent'),
        migrations.CreateModel(
            name='LiveEvent',
            fields=[
                ('id', models.BigAutoField(primary_key=True, serialize=False)),
                ('kind', models.CharField(choices=[('notification', 'Notification'), ('read', 'Read'), ('seen', 'Seen'), ('archived', 'Archived')], max_length=16)),
                ('notification_id', models.BigIntegerField(blank=True, null=True)),
                ('data', models.JSONField(default=dict)),
                ('created', models.DateTimeField(db_index=True, default=django.utils.timezone.now)),
                ('user', models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'indexes': [models.Index(fields=['user', 'id'], name='pn_live_user_id')],
            },
        ),
    ]
