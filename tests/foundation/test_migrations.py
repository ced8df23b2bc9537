"""The committed migrations match the models (a model change without its migration fails here)."""

import pytest
from django.core.management import call_command


@pytest.mark.django_db
def test_no_model_change_lacks_a_migration():
    # --check exits non-zero (SystemExit) when makemigrations would write anything.
    call_command("makemigrations", "platform_notifications", "--check", "--dry-run", verbosity=0)


@pytest.mark.django_db(transaction=True)
def test_user_ids_stored_as_json_are_packed_by_the_migration():
    import uuid

    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    app = "platform_notifications"
    before, after = [(app, "0002_email_retry_at")], [(app, "0003_reliability")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    old = executor.loader.project_state(before).apps.get_model(app, "NotificationRequest")
    pk = old.objects.create(
        event_id=uuid.uuid4(), kind="users", app_name="a", notification_type="t", user_ids=[3, 1, 2]
    ).pk
    executor = MigrationExecutor(connection)
    executor.migrate(after)
    new = executor.loader.project_state(after).apps.get_model(app, "NotificationRequest")
    assert new.objects.get(pk=pk).user_ids == [3, 1, 2]
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes(app))
