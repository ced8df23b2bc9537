"""Unit tests of the NOTIFICATIONS_* value checks, without running Tutor."""

from __future__ import annotations

from typing import Any

import pytest
from tutor_notifications.validation import VALIDATORS, error_message, find_problems


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("NOTIFICATIONS_DAILY_DIGEST_HOUR", 0),
        ("NOTIFICATIONS_DAILY_DIGEST_HOUR", 23),
        ("NOTIFICATIONS_DAILY_DIGEST_MINUTE", 59),
        ("NOTIFICATIONS_WEEKLY_DIGEST_DAY", 6),
        ("NOTIFICATIONS_WEEKLY_DIGEST_HOUR", 0),
        ("NOTIFICATIONS_WEEKLY_DIGEST_MINUTE", 0),
        ("NOTIFICATIONS_IMMEDIATE_EMAIL_BUFFER_MINUTES", 0),
        ("NOTIFICATIONS_EXPIRY_DAYS", 1),
        ("NOTIFICATIONS_DEFAULT_FROM_EMAIL", "notifications@example.com"),
        ("NOTIFICATIONS_DEFAULT_FROM_EMAIL", "Example Academy <no-reply@mail.example.org>"),
        # Tutor's default CONTACT_EMAIL is contact@<LMS_HOST>, and LMS_HOST may be a bare host name.
        ("NOTIFICATIONS_DEFAULT_FROM_EMAIL", "contact@localhost"),
        ("NOTIFICATIONS_UNSUBSCRIBE_RATE_LIMIT", "100/m"),
        ("NOTIFICATIONS_UNSUBSCRIBE_RATE_LIMIT", "5/second"),
        ("NOTIFICATIONS_TYPES_OVERRIDE", {}),
        (
            "NOTIFICATIONS_TYPES_OVERRIDE",
            {
                "new_response": {
                    "web": True,
                    "email": False,
                    "email_cadence": "Weekly",
                    "non_editable": ["push"],
                }
            },
        ),
        ("NOTIFICATIONS_APPS_OVERRIDE", {"grading": {"push": False}}),
        ("NOTIFICATIONS_PIP_REQUIREMENT", "platform-notifications[extra]>=1.0,<2"),
        ("NOTIFICATIONS_ENABLE_SHOW_PUSH_CHANNEL", True),
        ("NOTIFICATIONS_RUN_BEAT", False),
    ],
)
def test_valid_values_are_accepted(key: str, value: Any) -> None:
    assert find_problems({key: value}) == []


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("NOTIFICATIONS_DAILY_DIGEST_HOUR", 25, "from 0 to 23"),
        ("NOTIFICATIONS_DAILY_DIGEST_HOUR", -1, "from 0 to 23"),
        # YAML turns `true` into a bool, and bool is an int subclass in Python: it must still be refused.
        ("NOTIFICATIONS_DAILY_DIGEST_HOUR", True, "whole number"),
        ("NOTIFICATIONS_DAILY_DIGEST_HOUR", "17", "whole number"),
        ("NOTIFICATIONS_DAILY_DIGEST_MINUTE", 61, "from 0 to 59"),
        ("NOTIFICATIONS_WEEKLY_DIGEST_DAY", 7, "0 is Monday"),
        ("NOTIFICATIONS_WEEKLY_DIGEST_MINUTE", 60, "from 0 to 59"),
        ("NOTIFICATIONS_IMMEDIATE_EMAIL_BUFFER_MINUTES", -5, "at least 0"),
        ("NOTIFICATIONS_EXPIRY_DAYS", -1, "at least 1"),
        ("NOTIFICATIONS_EXPIRY_DAYS", 0, "at least 1"),
        ("NOTIFICATIONS_RETENTION_DAYS", 0, "at least 1"),
        ("NOTIFICATIONS_DEFAULT_FROM_EMAIL", "not-an-email", "email address"),
        ("NOTIFICATIONS_DEFAULT_FROM_EMAIL", "a@@example.com", "email address"),
        ("NOTIFICATIONS_DEFAULT_FROM_EMAIL", "someone@", "email address"),
        ("NOTIFICATIONS_DEFAULT_FROM_EMAIL", "x@example.com\nBcc: victim@example.com", "email address"),
        ("NOTIFICATIONS_UNSUBSCRIBE_RATE_LIMIT", "100/week", "rate"),
        ("NOTIFICATIONS_UNSUBSCRIBE_RATE_LIMIT", "lots", "rate"),
        ("NOTIFICATIONS_TYPES_OVERRIDE", ["new_response"], "mapping"),
        ("NOTIFICATIONS_TYPES_OVERRIDE", "new_response", "mapping"),
        ("NOTIFICATIONS_TYPES_OVERRIDE", {"new_response": True}, "entry 'new_response' must be a mapping"),
        ("NOTIFICATIONS_TYPES_OVERRIDE", {"new_response": {"email": "yes"}}, "new_response.email"),
        ("NOTIFICATIONS_TYPES_OVERRIDE", {"new_response": {"email_cadence": "Hourly"}}, "Immediately"),
        ("NOTIFICATIONS_APPS_OVERRIDE", {"grading": {"non_editable": ["sms"]}}, "grading.non_editable"),
        ("NOTIFICATIONS_APPS_OVERRIDE", {"grading": {"enabled": False}}, "not an overridable field"),
        ("NOTIFICATIONS_PIP_REQUIREMENT", "", "pip requirement"),
        ("NOTIFICATIONS_PIP_REQUIREMENT", "pkg\nRUN rm -rf /", "single-line"),
        ("NOTIFICATIONS_ENABLE_SHOW_EMAIL_CHANNEL", "yes", "true or false"),
        ("NOTIFICATIONS_RUN_BEAT", 1, "true or false"),
    ],
)
def test_invalid_values_are_refused_with_the_reason(key: str, value: Any, expected: str) -> None:
    problems = find_problems({key: value})

    assert len(problems) == 1
    assert problems[0].startswith(f"{key}={value!r} ")
    assert expected in problems[0]


def test_every_problem_is_reported_at_once() -> None:
    problems = find_problems(
        {"NOTIFICATIONS_DAILY_DIGEST_HOUR": 25, "NOTIFICATIONS_WEEKLY_DIGEST_DAY": 7, "OTHER_KEY": "ignored"}
    )

    message = error_message(problems)

    assert "NOTIFICATIONS_DAILY_DIGEST_HOUR=25" in message
    assert "NOTIFICATIONS_WEEKLY_DIGEST_DAY=7" in message
    assert "OTHER_KEY" not in message
    assert "tutor config save --set" in message


def test_every_validated_key_is_a_notifications_key() -> None:
    assert all(key.startswith("NOTIFICATIONS_") for key in VALIDATORS)
