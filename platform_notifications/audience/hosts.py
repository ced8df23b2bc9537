"""Audience keys a host registers: ``audiences.register("organization", resolver)``.

A resolver takes the (JSON-safe) value the caller gave and returns the users: a QuerySet of users or of user ids
(used as a subquery, never loaded whole) or, for small audiences, an iterable of users or ids. An optional
``clean(value)`` attribute on the resolver checks the value when the request is received.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import QuerySet

#: Keys the pipeline itself understands; a host cannot take them over.
BUILT_IN = frozenset({"users", "groups", "followers_of", "course", "permissions"})

_resolvers: dict[str, Callable[[Any], Any]] = {}
_lock = threading.Lock()


def register(name: str, resolver: Callable[[Any], Any]) -> None:
    """Make ``name`` an audience key resolved by ``resolver(value)``; a second registration raises ``ValueError``."""
    if not isinstance(name, str) or not name.isidentifier() or name in BUILT_IN:
        raise ValueError(f"audience key {name!r} must be an identifier other than {', '.join(sorted(BUILT_IN))}")
    if not callable(resolver):
        raise ValueError(f"the resolver of audience key {name!r} must be callable")
    with _lock:
        if name in _resolvers and _resolvers[name] is not resolver:
            raise ValueError(f"audience key {name!r} is registered twice")
        _resolvers[name] = resolver


def unregister(name: str) -> None:
    with _lock:
        _resolvers.pop(name, None)


def get(name: str) -> Callable[[Any], Any] | None:
    return _resolvers.get(name)


def keys() -> list[str]:
    return sorted(_resolvers)


def user_ids(name: str, value: Any) -> QuerySet | list[int]:
    """The resolver's answer as user ids: a ``values_list`` subquery, or a sorted list for a plain iterable."""
    found = _resolvers[name](value)
    if isinstance(found, QuerySet):
        if found.model is get_user_model() and getattr(found, "_fields", None) is None:
            return found.values_list("pk", flat=True)
        return found
    return sorted({getattr(item, "pk", item) for item in found})
