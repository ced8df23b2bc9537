"""Selecting many ids cheaply: a key range when they are many and dense (a fan-out chunk), else a list.

A range costs two parameters where a list costs one per id (~5 ms of ORM and driver work per 1,000 ids, the
largest cost of a fan-out chunk on PostgreSQL). A range may also select rows of ids outside the set: callers
keep only the ids they asked for.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

#: From this many ids up, ids spanning less than twice their number are selected as a range.
RANGE_FROM = 100


def lookup(field: str, ids: Collection[int]) -> dict[str, Any]:
    """Filter keyword arguments selecting ``field`` in ``ids`` (maybe more: see the module docstring)."""
    if len(ids) >= RANGE_FROM:
        low, high = min(ids), max(ids)
        if high - low < 2 * len(ids):
            return {f"{field}__gte": low, f"{field}__lte": high}
    return {f"{field}__in": list(ids)}
