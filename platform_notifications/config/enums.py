"""Channels and email cadences: the closed vocabularies every other module speaks."""

from enum import StrEnum


class Channel(StrEnum):
    """A delivery channel a user can switch per notification type."""

    WEB = "web"
    EMAIL = "email"
    PUSH = "push"


class Cadence(StrEnum):
    """When email for a notification type goes out (values are Open edX's, shown to users)."""

    IMMEDIATELY = "Immediately"
    DAILY = "Daily"
    WEEKLY = "Weekly"
    NEVER = "Never"

    @classmethod
    def choices(cls) -> list[tuple[str, str]]:
        return [(member.value, member.value) for member in cls]


class DigestFrequency(StrEnum):
    """When a user's digests go out, at their local time (``channels.email.times``); ``default``: the operator's.

    A daily frequency sets the clock of the ``Daily`` cadence, a weekly one the day and clock of the ``Weekly``
    cadence; the cadence a notification type has (per type, as in Open edX) still decides which digest it joins.
    """

    DEFAULT = "default"
    DAILY_MORNING = "daily_morning"
    DAILY_EVENING = "daily_evening"
    TWICE_DAILY = "twice_daily"
    WEEKLY_FRIDAY = "weekly_friday"
    WEEKLY_SATURDAY = "weekly_saturday"
    WEEKLY_SUNDAY = "weekly_sunday"

    @classmethod
    def choices(cls) -> list[tuple[str, str]]:
        return [(member.value, member.value) for member in cls]


#: Preference key under which all ``use_app_defaults`` types of an app appear as one row.
BUNDLED_TYPE = "grouped_notification"

#: Preference key of an app-wide blanket choice (written by "unsubscribe from this app"), which also
#: covers types added to the app later.
APP_WIDE_TYPE = "*"
