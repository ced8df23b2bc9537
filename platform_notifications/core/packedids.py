"""A column holding many user ids compactly: signed 64-bit integers, zlib-compressed, in one binary value.

A producer may name a million users in one request. As JSON that is one Python object per id to encode and
about 8 MB to store; packed, the list is copied into a C array and compressed in one pass each (no per-id
Python work), and dense ids shrink to about 1.5 bytes each. Reading back yields a plain list again.
"""

from __future__ import annotations

import sys
import zlib
from array import array
from typing import Any

from django.db import models

#: The first byte names the encoding, so that another one can be added without a data migration.
FORMAT_ZLIB_INT64_LE = b"\x01"
#: zlib's fastest level: the ids are written once, in the producer's call, where time matters more than bytes.
LEVEL = 1


def pack(ids: Any) -> bytes:
    """``ids`` (integers within signed 64 bits) as bytes; raises ``OverflowError`` or ``TypeError`` otherwise."""
    values = ids if isinstance(ids, array) and ids.typecode == "q" else array("q", ids)
    if sys.byteorder == "big":
        values = array("q", values)
        values.byteswap()
    return FORMAT_ZLIB_INT64_LE + zlib.compress(values.tobytes(), LEVEL)


def unpack(data: bytes | memoryview) -> list[int]:
    data = bytes(data)
    if not data:
        return []
    if data[:1] != FORMAT_ZLIB_INT64_LE:
        raise ValueError(f"unknown packed id format {data[:1]!r}")
    values = array("q")
    values.frombytes(zlib.decompress(data[1:]))
    if sys.byteorder == "big":
        values.byteswap()
    return values.tolist()


class PackedIdsField(models.BinaryField):
    """A list of integer ids in Python, packed bytes in the database (BLOB, bytea, LONGBLOB)."""

    description = "A list of 64-bit integer ids, packed"

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> list[int] | None:
        return None if value is None else unpack(value)

    def to_python(self, value: Any) -> list[int] | None:
        if value is None or isinstance(value, list):
            return value
        if isinstance(value, bytes | memoryview):
            return unpack(value)
        return list(value)

    def get_prep_value(self, value: Any) -> bytes | None:
        if value is None or isinstance(value, bytes | memoryview):
            return value
        return pack(value)

    def get_db_prep_value(self, value: Any, connection: Any, prepared: bool = False) -> Any:
        if not prepared:
            value = self.get_prep_value(value)
        return connection.Database.Binary(value) if value is not None else None

    def value_to_string(self, obj: Any) -> str:
        return ",".join(map(str, self.value_from_object(obj) or []))
