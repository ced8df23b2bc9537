"""Retry policy of the outbound channels: which outcome retries, how many attempts, backoff with jitter."""

from __future__ import annotations

import random
from dataclasses import dataclass


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with "equal jitter": attempt n waits between d/2 and d, d = base * 2**(n-1) capped.

    The jitter spreads retries of one outage (thousands of recipients failing together) over time, so the
    provider is not hit by all of them at the same instant when it comes back.
    """

    max_attempts: int = 5
    base_seconds: float = 30.0
    max_seconds: float = 3600.0

    def delay(self, attempt: int) -> float:
        """Seconds to wait before attempt ``attempt + 1`` after attempt ``attempt`` failed."""
        ceiling = min(self.max_seconds, self.base_seconds * 2 ** max(0, attempt - 1))
        return ceiling / 2 + random.uniform(0, ceiling / 2)  # noqa: S311 (jitter, not a secret)

    def exhausted(self, attempt: int) -> bool:
        return attempt >= self.max_attempts


@dataclass(frozen=True)
class Outcome:
    """What one send attempt came to: sent (with the provider's message id), to be retried, or failed."""

    attempt_id: int
    sent: bool
    retryable: bool = False
    error: str = ""
    provider_message_id: str = ""

    @classmethod
    def ok(cls, attempt_id: int, provider_message_id: str = "") -> Outcome:
        return cls(attempt_id, True, provider_message_id=provider_message_id[:255])

    @classmethod
    def retry(cls, attempt_id: int, error: str) -> Outcome:
        """A recoverable error (timeout, 5xx, provider unavailable): try again later."""
        return cls(attempt_id, False, retryable=True, error=error)

    @classmethod
    def fail(cls, attempt_id: int, error: str) -> Outcome:
        """A permanent error (4xx, invalid token, refused address): recorded, never retried."""
        return cls(attempt_id, False, error=error)
