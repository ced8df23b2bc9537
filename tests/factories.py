"""factory_boy factories for the test suite."""

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone
from opaque_keys.edx.keys import CourseKey

from platform_notifications import models

COURSE = "course-v1:Org+Num+Run"
COURSE_KEY = CourseKey.from_string(COURSE)
RESPONSE_CONTEXT = {"replier_name": "Ana", "post_title": "Week 1"}


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.com")
    is_active = True


class NotificationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Notification

    user = factory.SubFactory(UserFactory)
    course_id = COURSE
    app_name = "discussion"
    notification_type = "new_response"
    content_context = factory.LazyFunction(lambda: {"replier_name": "Ana", "post_title": "Week 1"})
    content_url = "/courses/x/posts/1"
    created = factory.LazyFunction(timezone.now)


class PreferenceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.NotificationPreference

    user = factory.SubFactory(UserFactory)
    app_name = "discussion"
    notification_type = "grouped_notification"


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.CourseMembership

    user = factory.SubFactory(UserFactory)
    course_id = COURSE
    mode = "audit"
