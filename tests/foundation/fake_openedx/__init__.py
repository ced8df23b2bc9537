"""Test-only stand-ins for the Open edX models the Open edX audience filters query.

Named and shaped like Open edX's own (fields, foreign keys, ``CourseKeyField``), under an app label that is
never installed, so they exist only in this suite; ``install`` aliases Open edX's module paths to them.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

#: The Open edX modules the filters import, all served by ``fake_openedx.models``.
OPENEDX_MODULES = (
    "common.djangoapps.student.models",
    "openedx.core.djangoapps.django_comment_common.models",
    "openedx.core.djangoapps.course_groups.models",
    "lms.djangoapps.teams.models",
    "common.djangoapps.course_modes.models",
    "openedx.core.djangoapps.content.course_overviews.models",
    "openedx.core.djangoapps.user_api.models",
    "openedx.features.course_duration_limits.access",
    "openedx.features.course_duration_limits.models",
)


@contextmanager
def installed() -> Iterator[None]:
    """Make ``from common.djangoapps.student.models import CourseEnrollment`` (etc.) import the fakes."""
    from tests.foundation.fake_openedx import models

    saved = {name: sys.modules.get(name) for name in OPENEDX_MODULES}
    sys.modules.update(dict.fromkeys(OPENEDX_MODULES, models))
    try:
        yield
    finally:
        for name, module in saved.items():
            if module is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = module


def create_tables(connection) -> None:
    """Create the fake tables (outside any transaction: SQLite's schema editor requires it)."""
    from tests.foundation.fake_openedx import models

    existing = set(connection.introspection.table_names())
    with connection.schema_editor() as editor:
        for model in models.ALL:
            if model._meta.db_table not in existing:
                editor.create_model(model)
