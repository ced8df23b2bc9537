"""First-start data of the demo platform: one course, learners, a staff member, flags on, a first post."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db import transaction

from demo.course import COURSE_ID
from demo.models import Post
from platform_notifications.models import CourseMembership

DEMO_PASSWORD = "demo"  # noqa: S105 (a local demo; the login page prints it)

DEMO_USERS = (
    {"username": "ana", "first_name": "Ana", "last_name": "Silva", "role": "learner", "mode": "verified"},
    {"username": "ben", "first_name": "Ben", "last_name": "Okafor", "role": "learner", "mode": "audit"},
    {"username": "chloe", "first_name": "Chloé", "last_name": "Martin", "role": "learner", "mode": "audit"},
    {"username": "sam", "first_name": "Sam", "last_name": "Rivera", "role": "staff", "mode": ""},
)

FLAGS = (
    "notifications.enable_notifications",
    "notifications.enable_email_notifications",
    "notifications.enable_notification_grouping",
)


def is_seeded() -> bool:
    return get_user_model().objects.filter(username=DEMO_USERS[0]["username"]).exists()


@transaction.atomic
def seed() -> list[str]:
    """Create whatever of the demo data is missing (safe to run again); returns what was created."""
    from waffle import get_waffle_flag_model

    created = []
    flag_model = get_waffle_flag_model()
    for name in FLAGS:
        flag, new = flag_model.objects.get_or_create(name=name, defaults={"everyone": True})
        if not new and flag.everyone is not True:
            flag.everyone = True
            flag.save()
        if new:
            created.append(f"flag {name}")
    users = {}
    for spec in DEMO_USERS:
        staff = spec["role"] == "staff"
        user, new = get_user_model().objects.get_or_create(
            username=spec["username"],
            defaults={
                "first_name": spec["first_name"],
                "last_name": spec["last_name"],
                "email": f"{spec['username']}@example.com",
                "is_staff": staff,
                "is_superuser": staff,
            },
        )
        if new:
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
            created.append(f"user {user.username}")
        users[spec["username"]] = user
        CourseMembership.objects.get_or_create(
            user=user,
            course_id=COURSE_ID,
            defaults={
                # Staff have no enrollment mode: course-wide "all learners" audiences leave them out.
                "mode": spec["mode"],
                "course_role": "instructor" if staff else "",
                "discussion_role": "Administrator" if staff else "Student",
            },
        )
    if not Post.objects.filter(course_id=COURSE_ID).exists():
        Post.objects.create(
            course_id=COURSE_ID,
            author=users["ben"],
            title="Introduce yourself",
            body="Hi all, I'm Ben. Where are you joining from?",
        )
        created.append("post 'Introduce yourself'")
    return created
