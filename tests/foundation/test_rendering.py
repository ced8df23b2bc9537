"""Content: templates render with every context value HTML-escaped; only the template's own tags survive."""

from __future__ import annotations

import pytest

from platform_notifications.config import registry
from platform_notifications.config.definitions import NotificationType
from platform_notifications.config.rendering import GROUPED_FLAG, render_content
from platform_notifications.models import Notification
from tests.factories import NotificationFactory

HOSTILE = [
    ("<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;"),
    ('" onmouseover="alert(1)', "&quot; onmouseover=&quot;alert(1)"),
    ("O'Brien & Sons", "O&#x27;Brien &amp; Sons"),
    ("<img src=x onerror=alert(1)>", "&lt;img src=x onerror=alert(1)&gt;"),
    ("&lt;already&gt;", "&amp;lt;already&amp;gt;"),
]


@pytest.mark.django_db
@pytest.mark.usefixtures("notifications_on")
@pytest.mark.parametrize(("value", "escaped"), HOSTILE)
def test_every_context_value_is_escaped_in_content(send, users, value, escaped):
    context = {"replier_name": value, "post_title": value}
    send([users[0].id], "new_comment_on_response", context=context)
    content = Notification.objects.get().content
    assert content == (f"<p><strong>{escaped}</strong> commented on your response to <strong>{escaped}</strong></p>")


@pytest.mark.parametrize("name", sorted(registry.types()))
def test_no_shipped_template_lets_markup_through(name):
    ntype = registry.get_type(name)
    context = dict.fromkeys(ntype.template_fields, "<b>x</b>")
    html = render_content(ntype, context)
    assert "<b>" not in html
    assert html.count("&lt;b&gt;x&lt;/b&gt;") == len(ntype.template_fields)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (3, "3"),
        (2.5, "2.5"),
        (["<a>", 1], "[&#x27;&lt;a&gt;&#x27;, 1]"),
        ({"k": "<v>"}, "{&#x27;k&#x27;: &#x27;&lt;v&gt;&#x27;}"),
    ],
)
def test_non_string_values_are_escaped(value, expected):
    ntype = registry.get_type("response_endorsed")
    assert (
        render_content(ntype, {"post_title": value})
        == f"<p>Your response to <strong>{expected}</strong> was endorsed</p>"
    )


def _hand_built(template: str) -> NotificationType:
    # Bypasses build_type's validation, as a type constructed in code could.
    return NotificationType(
        name="hand",
        app_name="discussion",
        use_app_defaults=True,
        content_template=template,
        grouped_content_template=None,
        content_context={"v": ""},
        filters=(),
        visible_to=(),
        info="",
        base_defaults=None,
    )


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("[{v!r}]", "[&lt;i&gt;]"),  # no repr quotes: the conversion is ignored, the value still escaped
        ("[{v!a}]", "[&lt;i&gt;]"),
        ("[{v.__class__}]", "[]"),  # no attribute access
        ("[{v.upper}]", "[]"),
        ("[{v[0]}]", "[]"),  # no index access
        ("[{v:>8}]", "[&lt;i&gt;]"),  # no format spec
    ],
)
def test_conversions_attributes_and_specs_never_apply(template, expected):
    assert render_content(_hand_built(template), {"v": "<i>"}) == expected


def test_grouped_template_used_only_when_grouped():
    ntype = registry.get_type("ora_staff_notifications")
    single = render_content(ntype, {"ora_name": "Essay", "submissions_count": 3})
    grouped = render_content(ntype, {"ora_name": "Essay", "submissions_count": 3, GROUPED_FLAG: True})
    assert "ready for review" in single and "3 new submissions" not in single
    assert "3 new submissions" in grouped


@pytest.mark.django_db
def test_missing_variable_renders_empty_and_removed_type_renders_nothing(temp_registry):
    row = NotificationFactory(notification_type="new_comment_on_response", content_context={"post_title": "T"})
    assert row.content == "<p><strong></strong> commented on your response to <strong>T</strong></p>"
    temp_registry.type("fleeting", notification_app="discussion", use_app_defaults=True, content_template="x")
    gone = NotificationFactory(notification_type="fleeting")
    registry.unregister(types=["fleeting"])
    assert gone.content == ""
