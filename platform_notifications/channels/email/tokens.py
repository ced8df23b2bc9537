"""Signed unsubscribe tokens: bound to one user and to what they unsubscribe from (a type, an app, all email)."""

from __future__ import annotations

from dataclasses import dataclass

from django.core import signing

from platform_notifications.config import registry

#: Distinguishes these signatures from every other use of SECRET_KEY (sessions, password resets, ...).
SALT = "platform_notifications.channels.email.unsubscribe"

ALL, APP, TYPE = "all", "app", "type"


class InvalidToken(ValueError):
    """The token is not one of ours, was altered, or names something that no longer exists."""


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


def make_token(user_id: int, scope: Scope) -> str:
    """A URL-safe token that lets its holder unsubscribe ``user_id`` from ``scope`` and nothing else."""
    return signing.dumps([int(user_id), scope.kind, scope.app_name, scope.key], salt=SALT)


def read_token(token: str) -> tuple[int, Scope]:
    """The (user id, scope) a token was made for; raises ``InvalidToken`` for anything else."""
    try:
        payload = signing.loads(token, salt=SALT)
    except signing.BadSignature as error:
        raise InvalidToken("This unsubscribe link is invalid or was altered.") from error
    if not (
        isinstance(payload, list)
        and len(payload) == 4
        and isinstance(payload[0], int)
        and all(isinstance(part, str) for part in payload[1:])
    ):
        raise InvalidToken("This unsubscribe link is malformed.")
    scope = Scope(payload[1], payload[2], payload[3])
    scope.validate()
    return payload[0], scope
