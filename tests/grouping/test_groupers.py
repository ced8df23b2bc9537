"""The built-in groupers: distinct actors, identity by sender id or name, the bounded actor list, rendering."""

import pytest

from platform_notifications.config import registry
from platform_notifications.config.rendering import render_content
from platform_notifications.fanout.groupers import ACTORS, MAX_TRACKED_ACTORS, others_phrase
from platform_notifications.fanout.grouping import get_grouper, sender_identity

POST = {"post_title": "Week 1"}


def replay(ntype, actors):
    """Run a sequence of (name, sender_id) events through the type's grouper; return the final context."""
    grouper = get_grouper(ntype)
    context = None
    for name, sender_id in actors:
        new = {"replier_name": name, **POST}
        sender = sender_identity(sender_id)
        context = grouper.start(new, sender=sender) if context is None else grouper.group(context, new, sender=sender)
    return context


def test_several_actors_latest_leads():
    context = replay("new_response", [("Ana", None), ("Bob", None), ("Cy", None), ("Dee", None)])
    assert context["replier_name"] == "Dee"
    assert context["others_count"] == 3
    assert context["actor_count"] == 4
    assert context["grouped"] is True


def test_repeated_actor_counts_once():
    context = replay("new_response", [("Ana", None), ("Bob", None), ("Ana", None), ("Bob", None), ("Ana", None)])
    assert context["others_count"] == 1
    assert context["replier_name"] == "Ana"


def test_one_actor_replying_twice_is_not_grouped():
    context = replay("new_response", [("Ana", 7), ("Ana", 7)])
    assert context["others_count"] == 0
    assert context["grouped"] is False
    content = render_content(registry.get_type("new_response"), context)
    assert content == "<p><strong>Ana</strong> replied to your post <strong>Week 1</strong></p>"


def test_two_people_sharing_a_name_count_twice_when_sender_ids_differ():
    context = replay("new_response", [("Sam Lee", 1), ("Sam Lee", 2)])
    assert context["others_count"] == 1


def test_same_sender_under_a_new_display_name_counts_once():
    context = replay("new_response", [("Sam", 1), ("Samuel", 1)])
    assert context["others_count"] == 0
    assert context["replier_name"] == "Samuel"


def test_stored_state_never_reveals_user_ids_or_names():
    context = replay("new_response", [("Ana", 12345), ("Bob", None)])
    stored = "".join(context[ACTORS])
    assert "12345" not in stored and "Bob" not in stored
    assert len(context[ACTORS]) == 2


def test_row_without_grouper_state_counts_its_actor_by_name():
    grouper = get_grouper("new_response")
    legacy = {"replier_name": "Ana", **POST}
    assert grouper.group(legacy, {"replier_name": "Ana", **POST})["others_count"] == 0
    assert grouper.group(legacy, {"replier_name": "Bob", **POST})["others_count"] == 1


def test_actor_list_is_bounded_but_everyone_is_counted():
    actors = [(f"user {n}", n) for n in range(MAX_TRACKED_ACTORS + 30)]
    context = replay("new_response", actors)
    assert len(context[ACTORS]) == MAX_TRACKED_ACTORS
    assert context["others_count"] == MAX_TRACKED_ACTORS + 29
    # A recent actor acting again is still recognised.
    again = get_grouper("new_response").group(
        context, {"replier_name": "user 120", **POST}, sender=sender_identity(120)
    )
    assert again["others_count"] == MAX_TRACKED_ACTORS + 29


def test_discussion_posts_group_by_username():
    grouper = get_grouper("new_discussion_post")
    first = grouper.start({"username": "ana", **POST})
    context = grouper.group(first, {"username": "bob", "post_title": "Week 2"})
    content = render_content(registry.get_type("new_discussion_post"), context)
    assert content == "<p><strong>bob</strong> and 1 other started discussions, latest: <strong>Week 2</strong></p>"


def test_ora_submissions_are_counted():
    grouper = get_grouper("ora_staff_notifications")
    context = grouper.start({"ora_name": "Essay"})
    assert context["grouped"] is False
    for _ in range(4):
        context = grouper.group(context, {"ora_name": "Essay"})
    content = render_content(registry.get_type("ora_staff_notifications"), context)
    assert content == "<p>5 new submissions to <strong>Essay</strong> are ready for review</p>"


@pytest.mark.parametrize(
    ("actors", "expected"),
    [
        (["Ana", "Bob"], "<p><strong>Bob</strong> and 1 other replied to your post <strong>Week 1</strong></p>"),
        (
            ["Bob", "Cy", "Dee", "Ana"],
            "<p><strong>Ana</strong> and 3 others replied to your post <strong>Week 1</strong></p>",
        ),
    ],
)
def test_grouped_content(actors, expected):
    context = replay("new_response", [(name, None) for name in actors])
    assert render_content(registry.get_type("new_response"), context) == expected


def test_grouped_content_escapes_actor_names():
    context = replay("new_response", [("Ana", 1), ("<script>alert(1)</script>", 2)])
    content = render_content(registry.get_type("new_response"), context)
    assert "<script>" not in content
    assert "<strong>&lt;script&gt;alert(1)&lt;/script&gt;</strong> and 1 other" in content


@pytest.mark.parametrize(("count", "phrase"), [(0, "0 others"), (1, "1 other"), (2, "2 others")])
def test_others_phrase(count, phrase):
    assert others_phrase(count) == phrase
