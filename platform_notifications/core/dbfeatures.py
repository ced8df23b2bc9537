"""What the database engine can do for set-based writes: SQLite's real parameter limit, JSON row expansion.

``use_real_sqlite_parameter_limit`` tells Django the real bound-parameter limit of SQLite, so bulk writes of a
chunk stay one statement.

Django up to 5.2 assumes SQLite's historical limit of 999 parameters and splits ``bulk_create`` into batches
to fit it, which makes the queries of a fan-out chunk grow with its size. SQLite 3.32+ allows 32,766 (and
reports its own limit); newer Django reads it the same way.
"""

from __future__ import annotations

import sqlite3
from typing import Any


def use_real_sqlite_parameter_limit(sender: Any = None, connection: Any = None, **kwargs: Any) -> None:
    """``connection_created`` receiver: raise ``max_query_params`` to what this SQLite connection accepts."""
    if connection is None or connection.vendor != "sqlite" or not hasattr(connection.connection, "getlimit"):
        return
    limit = connection.connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
    if limit > connection.features.max_query_params:
        # An attribute of this connection's features object only: other connections are untouched.
        connection.features.max_query_params = limit


def expands_json_rows(connection: Any) -> bool:
    """Whether ``connection`` can expand a JSON array of rows in one ``INSERT ... SELECT`` (fan-out and live log).

    SQLite needs the ``->>`` operator (3.38); MySQL ``JSON_TABLE`` (MariaDB 10.6, MySQL 8.0.4, below Django's own
    minimum); PostgreSQL always can. Other engines take ``bulk_create``.
    """
    vendor = connection.vendor
    if vendor == "sqlite":
        return sqlite3.sqlite_version_info >= (3, 38)
    if vendor == "mysql":
        return not connection.mysql_is_mariadb or connection.mysql_version >= (10, 6)
    return vendor == "postgresql"
