"""Whose clock and language an email follows: the learner's time zone (digest local time) and language.

On a standalone host both come from ``UserNotificationSettings``. On an Open edX host the learner sets them on
the account page, which stores Open edX user preferences (``openedx.core.djangoapps.user_api``'s
``UserPreference``, keys ``time_zone`` and ``pref-lang``): those win, and ``UserNotificationSettings`` is the
fallback. ``NOTIFICATION_LOCALE_SOURCE`` names another class with the same two methods.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connection
from django.utils.module_loading import import_string

from platform_notifications.config.settings import get_setting
from platform_notifications.models import UserNotificationSettings

#: Open edX's account preference keys (``user_api.preferences``).
TIME_ZONE_KEY = "time_zone"
LANGUAGE_KEY = "pref-lang"


class StoredLocale:
    """Standalone: the time zone and language kept in ``UserNotificationSettings``."""

    def time_zones(self, user_ids: Iterable[int]) -> dict[int, str]:
        """Time zone names of the users that set one (one query)."""
        return dict(
            UserNotificationSettings.objects.filter(user_id__in=list(user_ids))
            .exclude(timezone="")
            .values_list("user_id", "timezone")
        )

    def zone_sql(self, user_column: str) -> tuple[str, str]:
        """``(joins, expression)``: the set-based scheduler's SQL for each user's zone name (NULL or '' for UTC)."""
        table = UserNotificationSettings._meta.db_table
        q = connection.ops.quote_name
        return f"LEFT JOIN {q(table)} zs ON zs.{q('user_id')} = {user_column}", f"zs.{q('timezone')}"

    def language(self, user) -> str:
        """The user's language code, or "" for the site's default."""
        try:
            return user.notification_settings.language
        except UserNotificationSettings.DoesNotExist:
            return ""


class OpenEdxAccountLocale(StoredLocale):
    """Open edX: the account page's ``time_zone`` and ``pref-lang`` preferences, over the stored settings."""

    def _preferences(self, key: str, user_ids: list[int]) -> dict[int, str]:
        from openedx.core.djangoapps.user_api.models import UserPreference

        rows = UserPreference.objects.filter(user_id__in=user_ids, key=key).exclude(value="")
        return dict(rows.values_list("user_id", "value"))

    def time_zones(self, user_ids: Iterable[int]) -> dict[int, str]:
        user_ids = list(user_ids)
        return {**super().time_zones(user_ids), **self._preferences(TIME_ZONE_KEY, user_ids)}

    def zone_sql(self, user_column: str) -> tuple[str, str]:
        from openedx.core.djangoapps.user_api.models import UserPreference

        joins, stored = super().zone_sql(user_column)
        q = connection.ops.quote_name
        joins += (
            f" LEFT JOIN {q(UserPreference._meta.db_table)} zp"
            f" ON zp.{q('user_id')} = {user_column} AND zp.{q('key')} = '{TIME_ZONE_KEY}'"
        )
        return joins, f"COALESCE(NULLIF(zp.{q('value')}, ''), {stored})"

    def language(self, user) -> str:
        return self._preferences(LANGUAGE_KEY, [user.pk]).get(user.pk) or super().language(user)


def source() -> StoredLocale:
    """The configured source, else Open edX's account preferences when Open edX's ``user_api`` is installed."""
    configured = get_setting("NOTIFICATION_LOCALE_SOURCE")
    if configured:
        return import_string(configured)()
    from django.apps import apps

    return OpenEdxAccountLocale() if apps.is_installed("openedx.core.djangoapps.user_api") else StoredLocale()


def time_zones(user_ids: Iterable[int]) -> dict[int, str]:
    """``{user id: IANA time zone name}`` for the users that set one; the others get UTC."""
    return source().time_zones(user_ids)


def zone_sql(user_column: str) -> tuple[str, str] | None:
    """The configured source's SQL for each user's zone, or None when it has none (the scheduler reads by id)."""
    method = getattr(source(), "zone_sql", None)
    return method(user_column) if method else None


def language(user) -> str:
    """The language ``user``'s emails are written in ("" for the site's default)."""
    return source().language(user)
