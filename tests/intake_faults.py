"""What a careless producer may send, and how to send it from inside the producer's own transaction.

Shared by the SQLite suite (tests/foundation/test_intake_faults.py) and the real-server suite
(tests/services/test_intake_services.py), so every engine is held to the same cases and properties.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.models import Group
from django.db import transaction
from hypothesis import event as record_kind
from hypothesis import strategies as st
from openedx_events.learning.data import CourseNotificationData, UserNotificationData
from openedx_events.learning.signals import COURSE_NOTIFICATION_REQUESTED, USER_NOTIFICATION_REQUESTED

from platform_notifications.config import registry
from platform_notifications.exceptions import NotificationRequestError
from platform_notifications.fanout.run import process_request
from platform_notifications.intake import send as sending
from platform_notifications.models import NotificationRequest, RefusedNotification
from tests.factories import COURSE, RESPONSE_CONTEXT

NAN, INF = float("nan"), float("inf")


def _nested(depth: int) -> list:
    value: list = []
    for _ in range(depth):
        value = [value]
    return value


#: (case name, field, value, words the refusal's reason holds): each value is one a database cannot store.
UNSTORABLE = [
    ("nan in context", "context", {**RESPONSE_CONTEXT, "score": NAN}, "nan"),
    ("inf in context", "context", {**RESPONSE_CONTEXT, "score": INF}, "inf"),
    ("-inf in a nested list", "context", {**RESPONSE_CONTEXT, "scores": [1, [-INF]]}, "-inf"),
    ("NUL in a context value", "context", {**RESPONSE_CONTEXT, "post_title": "Week\x001"}, "NUL"),
    ("NUL in a context key", "context", {**RESPONSE_CONTEXT, "a\x00b": "x"}, "NUL"),
    ("NUL in a nested key", "context", {**RESPONSE_CONTEXT, "extra": {"k\x00": 1}}, "NUL"),
    ("lone surrogate in a value", "context", {**RESPONSE_CONTEXT, "replier_name": "A\ud800"}, "surrogate"),
    ("lone surrogate in a key", "context", {**RESPONSE_CONTEXT, "\udfff": 1}, "surrogate"),
    ("integer beyond 64 bits", "context", {**RESPONSE_CONTEXT, "n": 2**64}, "64 bits"),
    ("nesting too deep", "context", {**RESPONSE_CONTEXT, "deep": _nested(20)}, "deeper"),
    ("NUL in the type", "notification_type", "new_response\x00", "unknown notification type"),
    ("lone surrogate in the type", "notification_type", "new_\ud800", "unknown notification type"),
    ("NUL in the app", "app_name", "discussion\x00", "unknown notification app"),
    ("lone surrogate in the url", "content_url", "/posts/\ud800", "surrogate"),
    ("NUL in the url", "content_url", "/posts/\x00", "control characters"),
    ("NUL in the course key", "course_key", "course-v1:A+B\x00+C", "NUL"),
]


@dataclass
class Event:
    """One producer event: a user event (``user_ids``) or a course event (``audience_filters``)."""

    notification_type: Any = "new_response"
    app_name: Any = "discussion"
    content_url: Any = "/courses/x/posts/1"
    course_key: Any = COURSE
    context: Any = field(default_factory=lambda: dict(RESPONSE_CONTEXT))
    user_ids: Any = None
    audience_filters: Any = None
    is_course: bool = False

    def signal_kwargs(self) -> tuple[Any, dict[str, Any]]:
        common = {
            "notification_type": self.notification_type,
            "content_url": self.content_url,
            "app_name": self.app_name,
            "course_key": self.course_key,
        }
        if self.is_course:
            data = CourseNotificationData(
                **common, content_context=self.context, audience_filters=self.audience_filters
            )
            return COURSE_NOTIFICATION_REQUESTED, {"course_notification_data": data}
        data = UserNotificationData(**common, user_ids=self.user_ids, context=self.context)
        return USER_NOTIFICATION_REQUESTED, {"notification_data": data}


@dataclass
class Outcome:
    requests: list[NotificationRequest]
    refusals: list[RefusedNotification]
    error: NotificationRequestError | None = None


def emit_in_producer_transaction(event: Event, via: str) -> Outcome:
    """Send ``event`` (``via`` "signal" or "api") inside a producer's transaction that wrote its own row first.

    Asserts what a producer relies on: the call does not raise (the API: only ``NotificationRequestError``),
    the producer's next query works, and its row is still there after its transaction ends.
    """
    name = f"producer-{uuid.uuid4().hex}"
    request_ids = set(NotificationRequest.objects.values_list("pk", flat=True))
    refusal_ids = set(RefusedNotification.objects.values_list("pk", flat=True))
    error = None
    with transaction.atomic():
        Group.objects.create(name=name)
        if via == "signal":
            signal, kwargs = event.signal_kwargs()
            signal.send_event(**kwargs)
        else:
            try:
                if event.is_course:
                    sending.notify_course(
                        event.course_key,
                        event.app_name,
                        event.notification_type,
                        event.content_url,
                        event.context,
                        event.audience_filters,
                    )
                else:
                    sending.notify(
                        event.user_ids,
                        event.notification_type,
                        event.content_url,
                        event.app_name,
                        event.course_key,
                        event.context,
                    )
            except NotificationRequestError as refused:
                error = refused
        # The producer's next query: it fails here if intake left the transaction broken.
        assert Group.objects.filter(name=name).count() == 1
    assert Group.objects.filter(name=name).exists()
    return Outcome(
        requests=list(NotificationRequest.objects.exclude(pk__in=request_ids)),
        refusals=list(RefusedNotification.objects.exclude(pk__in=refusal_ids)),
        error=error,
    )


def assert_accounted_for(outcome: Outcome, via: str) -> None:
    """Exactly one of: a stored request, a stored refusal (signal), a refusal raised to the caller (API)."""
    if via == "signal":
        assert len(outcome.requests) + len(outcome.refusals) == 1, outcome
    else:
        assert outcome.refusals == []
        assert len(outcome.requests) + (outcome.error is not None) == 1, outcome
    record_kind("stored" if outcome.requests else "refused")
    for request in outcome.requests:
        # What was stored can be fanned out on this engine too (values read back, rendered, inserted).
        process_request(request.pk)
        request.refresh_from_db()
        assert request.state == NotificationRequest.State.DONE, request.last_error
    for refusal in outcome.refusals:
        refusal.refresh_from_db()
        assert refusal.reason


# --- hypothesis strategies -----------------------------------------------------------------------------

#: Any code point, lone surrogates and NUL included (hypothesis leaves surrogates out by default).
any_text = st.text(st.characters(exclude_categories=()), max_size=12) | st.sampled_from(
    ["", "\x00", "a\x00", "\ud800", "x\udfff", "é", "😀", "<script>", "'"]
)
#: Text every database stores (no NUL, no lone surrogate), markup and quotes included.
good_text = st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=12)


def _json(text: st.SearchStrategy, leaf: st.SearchStrategy) -> st.SearchStrategy:
    return st.recursive(
        leaf | text,
        lambda children: st.lists(children, max_size=4) | st.dictionaries(text, children, max_size=4),
        max_leaves=12,
    )


#: JSON-ish values as a producer's code might build them: NaN, infinities and huge integers included.
any_json = _json(
    any_text,
    st.none() | st.booleans() | st.integers() | st.integers(-(2**70), 2**70) | st.floats(),
)
good_json = _json(
    good_text,
    st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | st.floats(allow_nan=False, allow_infinity=False),
)


def _mostly(draw: st.DrawFn, good: st.SearchStrategy, bad: st.SearchStrategy) -> Any:
    """A valid value seven times in eight, so that many events are stored and the rest test the refusals."""
    return draw(bad if draw(st.integers(0, 7)) == 0 else good)


@st.composite
def events(draw: st.DrawFn, user_ids: list[int]) -> Event:
    """A producer event, mostly well-formed and often not: every field drawn from valid and hostile values."""
    types = registry.types()
    type_name = _mostly(draw, st.sampled_from(sorted(types)), any_text)
    ntype = types.get(type_name)
    owner = ntype.app_name if ntype else "discussion"
    app_name = _mostly(draw, st.just(owner), st.sampled_from(sorted(registry.apps())) | any_text | st.none())
    needed = sorted(ntype.template_fields) if ntype else ["post_title"]
    context = _mostly(
        draw,
        st.fixed_dictionaries(dict.fromkeys(needed, good_text | good_json), optional={"group_by_id": good_json}),
        st.fixed_dictionaries({}, optional=dict.fromkeys(needed, any_json)) | any_json,
    )
    if isinstance(context, dict):
        context.update(draw(st.dictionaries(good_text, good_json, max_size=3)))
        context.update(_mostly(draw, st.just({}), st.dictionaries(any_text, any_json, min_size=1, max_size=2)))
    content_url = _mostly(
        draw, st.sampled_from(["", "/courses/x/1", "https://example.com/a?b=c"]), st.just("javascript:x()") | any_text
    )
    course_key = _mostly(draw, st.just(COURSE), st.sampled_from(["", None]) | any_text)
    if draw(st.booleans()):
        ids = _mostly(
            draw,
            st.lists(st.sampled_from(user_ids) | st.integers(1, 2**63 - 1), min_size=1, max_size=6),
            st.lists(st.integers() | st.sampled_from([True, None, "1", 1.0]), min_size=1, max_size=3)
            | st.sampled_from([None, "12", 5]),
        )
        return Event(type_name, app_name, content_url, course_key, context, user_ids=ids)
    filter_keys = st.sampled_from(["cohorts", "teams", "enrollments", "course_roles", "discussion_roles"])
    filters = _mostly(
        draw,
        st.dictionaries(st.sampled_from(["enrollments", "course_roles"]), st.lists(good_text, max_size=3), max_size=1)
        | st.dictionaries(st.just("cohorts"), st.lists(st.integers(1, 2**63 - 1), max_size=3), max_size=1),
        st.dictionaries(filter_keys | any_text, st.lists(any_text | st.integers() | st.none(), max_size=3), max_size=2)
        | st.none(),
    )
    return Event(type_name, app_name, content_url, course_key, context, audience_filters=filters, is_course=True)
