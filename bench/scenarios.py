"""The fan-out benchmark's scenarios, each run on the same table beside its baselines."""

from __future__ import annotations

import importlib.util

from django.core.cache import cache
from django.test import override_settings
from waffle.models import Flag

from bench import baselines, db
from bench.measure import CONTEXT, fan_out, make_request, peak_memory
from platform_notifications.models import Notification, NotificationRequest

GROUPING_FLAG = "notifications.enable_notification_grouping"
EMAIL_FLAG = "notifications.enable_email_notifications"


def _flag(name: str, on: bool) -> None:
    Flag.objects.update_or_create(name=name, defaults={"everyone": on})
    cache.clear()  # waffle caches flags


def _figures(run, raw_seconds: float, naive_rate: float, size: int) -> dict:
    raw_rate = size / raw_seconds
    return {
        "recipients": size,
        "created": run.created,
        "grouped": run.grouped,
        "seconds": round(run.seconds, 3),
        "rows_per_second": round(run.rate),
        "raw_rows_per_second": round(raw_rate),
        "naive_rows_per_second": round(naive_rate),
        "ratio_vs_raw": round(run.rate / raw_rate, 3),
        "ratio_vs_naive": round(run.rate / naive_rate, 1) if naive_rate else None,
        "chunks": run.chunks,
        "queries": run.queries,
        "queries_per_chunk": sorted(set(run.per_chunk)),
    }


def _print(label: str, figures: dict) -> None:
    memory = figures.get("peak_memory_kib")
    print(
        f"{label:<28} {figures['rows_per_second']:>9,} rows/s  raw {figures['raw_rows_per_second']:>9,} "
        f"(x{figures['ratio_vs_raw']:.2f})  naive {figures['naive_rows_per_second']:>7,} "
        f"(x{figures['ratio_vs_naive']})  queries/chunk {figures['queries_per_chunk']}  "
        f"peak {'-' if memory is None else f'{memory:,} KiB'}",
        flush=True,
    )


def _baselines(user_ids: list[int], naive_sample: int, repeat: int = 1) -> tuple[float, float]:
    """(best raw insert seconds for all ``user_ids`` of ``repeat`` runs, naive loop rows/s on a sample)."""
    template = NotificationRequest(app_name="discussion", notification_type="new_response", context=dict(CONTEXT))
    template.course_id, template.content_url = "bench", "/courses/bench/discussion/posts/1"
    raw = float("inf")
    for _ in range(repeat):
        raw = min(raw, baselines.raw_insert(user_ids, template))
        db.truncate_notifications()
    sample = user_ids[:naive_sample]
    naive = len(sample) / baselines.naive_loop(sample, template)
    db.truncate_notifications()
    return raw, naive


def _best_fan_out(size: int, course_id: str, repeat: int):
    """The fastest of ``repeat`` course fan-outs (the machine's noise only ever slows a run down)."""
    best = None
    for _ in range(repeat):
        run = fan_out(make_request(kind="course", course_id=course_id))
        assert run.created == size, f"expected {size} rows, got {run.created}"
        db.truncate_notifications()
        best = run if best is None or run.seconds < best.seconds else best
    return best


def run_all(sizes, course_of, memory: bool, naive_sample: int, users_size: int, repeat: int = 1) -> dict:
    ids = db.seed(max(max(sizes), users_size), {course_of(size): size for size in sizes})
    report: dict = {"repeat": repeat, "course": {}, "scenarios": {}}
    for size in sizes:
        run = _best_fan_out(size, course_of(size), repeat)
        raw, naive = _baselines(ids[:size], naive_sample, repeat)
        figures = _figures(run, raw, naive, size)
        figures["naive_extrapolated"] = size > naive_sample
        if memory:
            figures["peak_memory_kib"] = peak_memory(make_request(kind="course", course_id=course_of(size))) // 1024
            db.truncate_notifications()
        report["course"][str(size)] = figures
        _print(f"course audience {size:,}", figures)
    raw, naive = _baselines(ids[:users_size], naive_sample)
    run = fan_out(make_request(kind="users", user_ids=ids[:users_size]))
    db.truncate_notifications()
    report["scenarios"]["user_ids"] = figures = _figures(run, raw, naive, users_size)
    _print(f"user ids {users_size:,}", figures)
    report["scenarios"]["grouping"] = _grouping(ids[:users_size], course_of, raw, naive)
    report["scenarios"]["email"] = _email(ids[:users_size], raw, naive)
    return report


def _grouping(user_ids: list[int], course_of, raw: float, naive: float) -> dict:
    """Grouping on, half the audience already holding an unseen row of the group: half merged, half created."""
    size = len(user_ids)
    group = "post-1"
    template = NotificationRequest(app_name="discussion", notification_type="new_response", context=dict(CONTEXT))
    template.course_id, template.content_url, template.group_by_id = "bench-group", "/p/1", group
    baselines.raw_insert(user_ids[::2], template)
    _flag(GROUPING_FLAG, True)
    try:
        request = make_request(
            kind="users", user_ids=user_ids, course_id="bench-group", group_by_id=group, context={**CONTEXT}
        )
        run = fan_out(request)
    finally:
        _flag(GROUPING_FLAG, False)
    assert run.grouped == size // 2 and run.created == size - size // 2, (run.created, run.grouped)
    assert Notification.objects.count() == size
    db.truncate_notifications()
    figures = _figures(run, raw, naive, size)
    _print(f"grouping {size:,} (half merge)", figures)
    return figures


def _email(user_ids: list[int], raw: float, naive: float) -> dict:
    """Email flag on, every recipient emailed immediately: the fan-out plus the email channel's scheduling."""
    if importlib.util.find_spec("platform_notifications.channels.email.schedule") is None:
        print("email scenario skipped: the email channel is not available yet", flush=True)
        return {"skipped": "email channel not available"}
    size = len(user_ids)
    override = {"new_response": {"email": True, "email_cadence": "Immediately"}}
    _flag(EMAIL_FLAG, True)
    try:
        with override_settings(NOTIFICATION_TYPES_OVERRIDE=override, NOTIFICATION_APPS_OVERRIDE={}):
            run = fan_out(make_request(kind="users", user_ids=user_ids))
    finally:
        _flag(EMAIL_FLAG, False)
    assert Notification.objects.filter(email=True).count() == size
    db.truncate_notifications()
    figures = _figures(run, raw, naive, size)
    _print(f"email on {size:,}", figures)
    return figures


def chunk_sweep(size: int, course_id: str, chunk_sizes: str) -> dict:
    """Rows/s and queries of the course fan-out at ``size`` for several chunk sizes (the default's evidence)."""
    sweep = {}
    for chunk in (int(c) for c in chunk_sizes.split(",") if c):
        with override_settings(NOTIFICATION_CREATION_BATCH_SIZE=chunk):
            run = fan_out(make_request(kind="course", course_id=course_id))
        db.truncate_notifications()
        sweep[str(chunk)] = {
            "rows_per_second": round(run.rate),
            "queries": run.queries,
            "seconds": round(run.seconds, 3),
        }
        print(f"chunk {chunk:>6,}: {round(run.rate):>9,} rows/s, {run.queries} queries", flush=True)
    return sweep
