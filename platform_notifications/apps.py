"""AppConfig: the Open edX plugin declaration, signal receivers and system checks."""

from __future__ import annotations

from django.apps import AppConfig

RECEIVERS = (
    # (signal path, receiver name in platform_notifications.intake.receivers)
    ("openedx_events.learning.signals.USER_NOTIFICATION_REQUESTED", "handle_user_notification_requested"),
    ("openedx_events.learning.signals.COURSE_NOTIFICATION_REQUESTED", "handle_course_notification_requested"),
)


def _plugin_signals(project: str) -> dict:
    return {
        "relative_path": "intake.receivers",
        "receivers": [
            {
                "receiver_func_name": name,
                "signal_path": path,
                "dispatch_uid": f"platform_notifications.{name}",
            }
            for path, name in RECEIVERS
        ],
    }


class PlatformNotificationsConfig(AppConfig):
    # Open edX already has an app labelled ``notifications``; this label must differ.
    name = "platform_notifications"
    label = "platform_notifications"
    verbose_name = "Platform notifications"
    default_auto_field = "django.db.models.BigAutoField"

    # edx-django-utils plugin declaration (keys spelled out so the module imports without Open edX).
    plugin_app = {
        "url_config": {
            project: {
                "namespace": "platform_notifications",
                # Open edX's own notifications app owns api/notifications/; the plugin mounts beside it.
                "regex": r"^api/platform-notifications/",
                "relative_path": "api.urls",
            }
            for project in ("lms.djangoapp", "cms.djangoapp")
        },
        "settings_config": {
            project: {
                "common": {"relative_path": "settings.common"},
                "production": {"relative_path": "settings.production"},
                "test": {"relative_path": "settings.test"},
            }
            for project in ("lms.djangoapp", "cms.djangoapp")
        },
        "signals_config": {project: _plugin_signals(project) for project in ("lms.djangoapp", "cms.djangoapp")},
    }

    def ready(self) -> None:
        from django.db import connections
        from django.db.backends.signals import connection_created
        from django.utils.module_loading import import_string

        from platform_notifications import tasks  # noqa: F401  (registers the task names the stages enqueue)
        from platform_notifications.config import checks, kind_checks  # noqa: F401  (registers the system checks)
        from platform_notifications.config.registry import registry
        from platform_notifications.core.dbfeatures import use_real_sqlite_parameter_limit
        from platform_notifications.fanout import groupers  # noqa: F401  (groupers register on import)
        from platform_notifications.intake import receivers  # noqa: F401
        from platform_notifications.operations import retirement

        registry.apps()  # malformed or duplicate config entries fail at startup, not at first send
        connection_created.connect(use_real_sqlite_parameter_limit, dispatch_uid="platform_notifications.sqlite_limit")
        for connection in connections.all(initialized_only=True):
            use_real_sqlite_parameter_limit(connection=connection)
        for signal_path, name in RECEIVERS:
            # The same dispatch_uid as the plugin config, so Open edX's plugin wiring and this one never
            # connect twice.
            import_string(signal_path).connect(getattr(receivers, name), dispatch_uid=f"platform_notifications.{name}")
        receivers.disconnect_builtin_openedx_receivers()
        retirement.connect_signals()  # user deletion, and Open edX's retirement signals when installed
