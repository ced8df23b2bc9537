"""Measuring one fan-out: wall time, queries per chunk (counted, not logged) and peak Python memory."""

from __future__ import annotations

import time
import tracemalloc
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.db import connection

from platform_notifications.fanout import run as fanout
from platform_notifications.models import NotificationRequest

TYPE = "new_response"
APP = "discussion"
CONTEXT = {"replier_name": "Ana", "post_title": "Week 1: introductions"}


def make_request(**fields) -> NotificationRequest:
    """A stored request of the benchmark's type; ``fields`` choose the audience (course or user ids)."""
    values = {
        "event_id": uuid.uuid4(),
        "app_name": APP,
        "notification_type": TYPE,
        "content_url": "/courses/bench/discussion/posts/1",
        "context": dict(CONTEXT),
        **fields,
    }
    return NotificationRequest.objects.create(**values)


@dataclass
class Run:
    seconds: float = 0.0
    created: int = 0
    grouped: int = 0
    chunks: int = 0
    queries: int = 0
    per_chunk: list[int] = field(default_factory=list)
    peak_bytes: int | None = None

    @property
    def rate(self) -> float:
        return (self.created + self.grouped) / self.seconds if self.seconds else 0.0


@contextmanager
def count_queries(run: Run):
    """Count statements sent (an executemany counts once) without keeping their text, which would cost memory."""

    def counter(execute, sql, params, many, context):
        run.queries += 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(counter):
        yield


@contextmanager
def per_chunk_counts(run: Run):
    """Record the statements of each chunk that wrote rows, by wrapping ``fanout.process_chunk``."""
    original = fanout.process_chunk

    def wrapped(*args, **kwargs):
        before = run.queries
        more = original(*args, **kwargs)
        if more:
            run.per_chunk.append(run.queries - before)
        return more

    fanout.process_chunk = wrapped
    try:
        yield
    finally:
        fanout.process_chunk = original


def fan_out(request: NotificationRequest) -> Run:
    """Time ``fanout.process_request`` and count its queries per chunk."""
    run = Run()
    with count_queries(run), per_chunk_counts(run):
        started = time.perf_counter()
        result = fanout.process_request(request.pk)
        run.seconds = time.perf_counter() - started
    run.created, run.grouped, run.chunks = result.created, result.grouped, result.chunks
    return run


def peak_memory(request: NotificationRequest) -> int:
    """Peak Python allocation (tracemalloc) during a fan-out, above what was allocated before it."""
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        fanout.process_request(request.pk)
        return tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()
