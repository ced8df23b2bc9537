"""The stable Python API for any platform: kinds, sending, followers, audiences, muting threads, user retirement.

``platform_notifications.notify``/``notify_course`` remain the Open edX-shaped entry points; both go through the
same pipeline (see the README, "Sending from any platform").
"""

from platform_notifications.audience import hosts as audiences
from platform_notifications.audience.followers import follow, is_following, unfollow
from platform_notifications.config.kinds import KindInfo, Level, Priority
from platform_notifications.config.kinds import registry as registry
from platform_notifications.exceptions import NotificationRequestError
from platform_notifications.inbox.mute import mute, unmute
from platform_notifications.intake.kinds_send import notify, notify_for, send
from platform_notifications.operations.retirement import RetirementResult, UnknownUserError, retire_user

__all__ = [
    "KindInfo",
    "Level",
    "NotificationRequestError",
    "Priority",
    "RetirementResult",
    "UnknownUserError",
    "audiences",
    "follow",
    "is_following",
    "mute",
    "notify",
    "notify_for",
    "registry",
    "retire_user",
    "send",
    "unfollow",
    "unmute",
]
