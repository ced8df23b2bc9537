"""A small fixed-window rate limiter in the Django cache, keyed by client IP (``"100/m"`` style rates)."""

from __future__ import annotations

import logging
import time

from django.core.cache import cache
from django.http import HttpRequest

log = logging.getLogger(__name__)

PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_rate(rate: str | None) -> tuple[int, int] | None:
    """``"100/m"`` (or ``"100/minute"``) -> (100, 60); None or empty means unlimited."""
    if not rate:
        return None
    try:
        count, period = str(rate).split("/", 1)
        return int(count), PERIODS[period.strip()[:1].lower()]
    except (ValueError, KeyError) as error:
        raise ValueError(f"invalid rate {rate!r}: expected '<number>/<s|m|h|d>'") from error


def client_ip(request: HttpRequest) -> str:
    # REMOTE_ADDR only: X-Forwarded-For is client-controlled unless a trusted proxy rewrites REMOTE_ADDR.
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def allow(bucket: str, request: HttpRequest, rate: str | None) -> bool:
    """Count this request against ``rate`` for its client; False once the window's budget is spent."""
    try:
        parsed = parse_rate(rate)
    except ValueError:
        log.error("ONE_CLICK_UNSUBSCRIBE_RATE_LIMIT %r is invalid; using 100/m", rate)
        parsed = (100, 60)
    if parsed is None:
        return True
    limit, period = parsed
    window = int(time.time() // period)
    key = f"pn:ratelimit:{bucket}:{client_ip(request)}:{window}"
    if cache.add(key, 1, period + 1):
        return limit >= 1
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, period + 1)
        count = 1
    return count <= limit
