"""The fan-out benchmark's scenarios, each run on the same table beside its baselines measured in the same run.

Every flag is on (notifications, email, grouping, push); each audience size runs with email off, email on with a
Daily cadence and email on with Immediately. Each of ``repeat`` fan-outs is paired with a raw insert of the same
rows run just before it; the figures are those of the pair with the median ratio.
"""

from __future__ import annotations

from django.core.cache import cache
from django.test import override_settings
from waffle.models import Flag

from bench import baselines, db
from bench.measure import CONTEXT, fan_out, make_request, peak_memory
from platform_notifications.models import DigestSchedule, Notification, NotificationRequest

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
        "queries_per_1000": round(run.queries * 1000 / size, 2),
    }


def _print(label: str, figures: dict) -> None:
    memory = figures.get("peak_memory_kib")
    print(
        f"{label:<28} {figures['rows_per_second']:>9,} rows/s  raw {figures['raw_rows_per_second']:>9,} "
        f"(x{figures['ratio_vs_raw']:.2f})  naive {figures['naive_rows_per_second']:>7,} "
        f"(x{figures['ratio_vs_naive']})  queries/chunk {figures['queries_per_chunk']} "
        f"per 1,000 {figures['queries_per_1000']}  "
        f"peak {'-' if memory is None else f'{memory:,} KiB'}",
        flush=True,
    )


ALL_FLAGS = (
    "notifications.enable_notifications",
    EMAIL_FLAG,
    GROUPING_FLAG,
    "notifications.enable_push_notifications",
)

#: The course scenarios: (name, email flag on, discussion app override). The override is at the app level
#: because the benchmark's type is bundled: a type-level override of a bundled type is ignored.
FLAG_SCENARIOS = (
    ("email off", False, {}),
    ("email on (Daily)", True, {"discussion": {"email": True, "email_cadence": "Daily"}}),
    ("email on (Immediately)", True, {"discussion": {"email": True, "email_cadence": "Immediately"}}),
)


def median(values):
    ordered = sorted(values)
    return ordered[len(ordered) // 2]


def _template(**fields) -> NotificationRequest:
    template = NotificationRequest(app_name="discussion", notification_type="new_response", context=dict(CONTEXT))
    template.course_id, template.content_url = "bench", "/courses/bench/discussion/posts/1"
    for name, value in fields.items():
        setattr(template, name, value)
    return template


def _raw(user_ids: list[int], repeat: int) -> float:
    """Median seconds of ``repeat`` raw inserts of one row per user."""
    runs = []
    for _ in range(repeat):
        runs.append(baselines.raw_insert(user_ids, _template()))
        db.truncate_notifications()
    return median(runs)


def _naive(user_ids: list[int], naive_sample: int) -> float:
    sample = user_ids[:naive_sample]
    naive = len(sample) / baselines.naive_loop(sample, _template())
    db.truncate_notifications()
    return naive


def _paired(make, repeat: int, check, raw_ids: list[int]):
    """The median of ``repeat`` fan-outs by their ratio to a raw insert of ``raw_ids`` run just before each.

    Load drifts on a shared machine; a fan-out and the raw insert beside it see the same load, so the ratio of
    each pair is steadier than the ratio of two medians taken minutes apart. Returns (run, raw seconds).
    """
    pairs = []
    for _ in range(repeat):
        raw_seconds = baselines.raw_insert(raw_ids, _template())
        db.truncate_notifications()
        run = fan_out(make())
        check(run)
        _clean()
        pairs.append((run.rate * raw_seconds / len(raw_ids), run, raw_seconds))
    pairs.sort(key=lambda pair: pair[0])
    _ratio, run, raw_seconds = pairs[len(pairs) // 2]
    return run, raw_seconds


def _clean() -> None:
    db.truncate_notifications()
    DigestSchedule.objects.all().delete()
    cache.delete_many(list(_queued))  # the "already queued" markers of the delivery instants
    _queued.clear()


#: Delivery tasks the email channel queued (recorded, not published: the benchmark measures the pipeline, and a
#: broker's ETA messages would pile up across runs).
_queued: set[str] = set()


def _record_enqueue(name, args, *, eta=None, task_id=None) -> bool:
    if task_id:
        _queued.add(f"pn:email:queued:{task_id}")
    return True


def run_all(sizes, course_of, memory: bool, naive_sample: int, users_size: int, repeat: int = 3) -> dict:
    from platform_notifications.core import queue

    queue.enqueue = _record_enqueue
    ids = db.seed(max(max(sizes), users_size), {course_of(size): size for size in sizes})
    for name in ALL_FLAGS:
        _flag(name, True)
    report: dict = {"repeat": repeat, "statistic": "median of paired ratios", "flags": list(ALL_FLAGS)}
    report.update(course={}, scenarios={})
    for size in sizes:
        naive = _naive(ids, naive_sample)
        report["course"][str(size)] = per_size = {}
        for label, email, override in FLAG_SCENARIOS:
            _flag(EMAIL_FLAG, email)
            cadence = override.get("discussion", {}).get("email_cadence") if email else ""

            def check(run, size=size, cadence=cadence):
                assert run.created == size, f"expected {size} rows, got {run.created}"
                emailed = Notification.objects.filter(email=True, email_cadence=cadence).count() if cadence else 0
                assert emailed == (size if cadence else 0), (cadence, emailed)
                if cadence:
                    per_user = 2 if cadence == "Immediately" else 1  # an immediate email and its buffer
                    assert DigestSchedule.objects.filter(cadence=cadence).count() == per_user * size

            with override_settings(NOTIFICATION_APPS_OVERRIDE=override, NOTIFICATION_TYPES_OVERRIDE={}):
                course = course_of(size)
                make = lambda c=course: make_request(kind="course", course_id=c)  # noqa: E731
                run, raw = _paired(make, repeat, check, ids[:size])
                figures = _figures(run, raw, naive, size)
                figures["naive_extrapolated"] = size > naive_sample
                if memory:
                    request = make_request(kind="course", course_id=course_of(size))
                    figures["peak_memory_kib"] = peak_memory(request) // 1024
                    _clean()
            per_size[label] = figures
            _print(f"{label} {size:,}", figures)
        _flag(EMAIL_FLAG, True)
    raw, naive = _raw(ids[:users_size], repeat), _naive(ids, naive_sample)
    run = fan_out(make_request(kind="users", user_ids=ids[:users_size]))
    _clean()
    report["scenarios"]["user_ids"] = figures = _figures(run, raw, naive, users_size)
    _print(f"user ids {users_size:,}", figures)
    report["scenarios"]["grouping"] = _grouping(ids[:users_size], naive, repeat)
    return report


def _grouping(user_ids: list[int], naive: float, repeat: int) -> dict:
    """Grouping on, half the audience already holding an unseen row of the group: half merged, half created."""
    size = len(user_ids)
    group = "post-1"

    def make():
        baselines.raw_insert(user_ids[::2], _template(course_id="bench-group", content_url="/p/1", group_by_id=group))
        return make_request(
            kind="users", user_ids=user_ids, course_id="bench-group", group_by_id=group, context={**CONTEXT}
        )

    def check(run):
        assert run.grouped == size // 2 and run.created == size - size // 2, (run.created, run.grouped)
        assert Notification.objects.count() == size

    run, raw = _paired(make, repeat, check, user_ids)
    figures = _figures(run, raw, naive, size)
    _print(f"grouping {size:,} (half merge)", figures)
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
