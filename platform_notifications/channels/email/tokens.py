"""Signed unsubscribe tokens: bound to one user and to what they unsubscribe from (a type, an app, all email).

A token carries its signing time and the user's token version: it expires after
``NOTIFICATIONS_UNSUBSCRIBE_TOKEN_MAX_AGE_DAYS`` and is revoked, with every other outstanding token of that user,
when the version is raised (``revoke``: by the user, an operator's command or the admin action).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.core import signing
from django.db.models import F

from platform_notifications.config import registry
from platform_notifications.config.bounds import bounded
from platform_notifications.models import UserNotificationSettings

#: Distinguishes these signatures from every other use of SECRET_KEY (sessions, password resets, ...).
SALT = "platform_notifications.channels.email.unsubscribe"

ALL, APP, TYPE = "all", "app", "type"


class InvalidToken(ValueError):
    """The token is not one of ours, was altered, or names something that no longer exists."""


class ExpiredToken(InvalidToken):
    """A genuine token older than ``NOTIFICATIONS_UNSUBSCRIBE_TOKEN_MAX_AGE_DAYS``."""


class RevokedToken(InvalidToken):
    """A genuine token of a version the user or an operator has since revoked."""


@dataclass(frozen=True)
class Scope:
    """What an unsubscribe covers: ``all`` email, one ``app``, or one preference row (``type``)."""

    kind: str
    app_name: str = ""
    key: str = ""  # a type name or the app's bundled row

    @classmethod
    def everything(cls) -> Scope:
        return cls(ALL)

    @classmethod
    def app(cls, app_name: str) -> Scope:
        return cls(APP, app_name)

    @classmethod
    def of_type(cls, notification_type: str) -> Scope:
        """The preference row that governs ``notification_type`` (its own or its app's bundled row)."""
        ntype = registry.get_type(notification_type)
        if ntype is None:
            raise ValueError(f"unknown notification type {notification_type!r}")
        return cls(TYPE, ntype.app_name, ntype.preference_key)

    def validate(self) -> None:
        if self.kind == ALL:
            if self.app_name or self.key:
                raise InvalidToken("This unsubscribe link is malformed.")
            return
        if self.kind not in (APP, TYPE) or registry.get_app(self.app_name) is None:
            raise InvalidToken("This unsubscribe link names notifications that no longer exist.")
        if self.kind == TYPE and not _is_preference_key(self.app_name, self.key):
            raise InvalidToken("This unsubscribe link names notifications that no longer exist.")


def _is_preference_key(app_name: str, key: str) -> bool:
    # A type's own row, or the app's bundled row when one of its types uses it.
    return any(t.preference_key == key for t in registry.types_of(app_name))


def current_version(user_id: int) -> int:
    """The user's token version (0 until one is revoked)."""
    # uses the unique index on user
    versions = UserNotificationSettings.objects.filter(user_id=user_id)
    return versions.values_list("unsubscribe_token_version", flat=True).first() or 0


def make_token(user_id: int, scope: Scope, version: int | None = None) -> str:
    """A URL-safe token that lets its holder unsubscribe ``user_id`` from ``scope`` and nothing else.

    ``version`` is the user's current token version; pass it when already loaded, to save the lookup.
    """
    if version is None:
        version = current_version(user_id)
    return signing.dumps([int(user_id), scope.kind, scope.app_name, scope.key, int(version)], salt=SALT)


def read_token(token: str) -> tuple[int, Scope]:
    """The (user id, scope) a valid token was made for; raises ``InvalidToken`` (or a subclass) otherwise."""
    max_age = timedelta(days=bounded("NOTIFICATIONS_UNSUBSCRIBE_TOKEN_MAX_AGE_DAYS"))
    try:
        payload = signing.loads(token, salt=SALT, max_age=max_age)
    except signing.SignatureExpired as error:
        raise ExpiredToken("This unsubscribe link has expired.") from error
    except signing.BadSignature as error:
        raise InvalidToken("This unsubscribe link is invalid or was altered.") from error
    if isinstance(payload, list) and len(payload) == 4:
        payload = [*payload, 0]  # made before versions existed: version 0
    if not (
        isinstance(payload, list)
        and len(payload) == 5
        and isinstance(payload[0], int)
        and all(isinstance(part, str) for part in payload[1:4])
        and isinstance(payload[4], int)
    ):
        raise InvalidToken("This unsubscribe link is malformed.")
    scope = Scope(payload[1], payload[2], payload[3])
    scope.validate()
    if payload[4] != current_version(payload[0]):
        raise RevokedToken("This unsubscribe link was revoked.")
    return payload[0], scope


def revoke(user_id: int) -> int:
    """Revoke every outstanding token of ``user_id`` (its links then change nothing); returns the new version."""
    UserNotificationSettings.objects.get_or_create(user_id=user_id)
    UserNotificationSettings.objects.filter(user_id=user_id).update(
        unsubscribe_token_version=F("unsubscribe_token_version") + 1
    )
    return current_version(user_id)
