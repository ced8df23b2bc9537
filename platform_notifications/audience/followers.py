"""Followers: who follows which object, and the ``followers_of`` audience.

Only models the host declares followable (``NOTIFICATION_FOLLOWABLE_MODELS``, ``"app_label.model"`` names) can be
followed; anything else is refused.
"""

from __future__ import annotations

from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, transaction
from django.db.models import Model, QuerySet

from platform_notifications.config.settings import get_setting
from platform_notifications.exceptions import UnknownAudience
from platform_notifications.models import Subscription


def followable_labels() -> set[str]:
    return {str(label).lower() for label in get_setting("NOTIFICATION_FOLLOWABLE_MODELS")}


def target(obj: Any) -> tuple[ContentType, str]:
    """The content type and key of a followable, saved model instance; ``UnknownAudience`` otherwise."""
    if not isinstance(obj, Model) or obj.pk is None:
        raise UnknownAudience("only a saved model instance can be followed")
    label = obj._meta.label_lower
    if label not in followable_labels():
        raise UnknownAudience(f"{label} is not followable (see NOTIFICATION_FOLLOWABLE_MODELS)")
    return ContentType.objects.get_for_model(obj), str(obj.pk)


def lookup(label: Any, pk: Any) -> Model:
    """The followable object named ``"app_label.model"`` and ``pk``; ``UnknownAudience`` when there is none."""
    if not isinstance(label, str) or label.lower() not in followable_labels():
        raise UnknownAudience(f"{str(label)[:100]!r} is not a followable model")
    app_label, _dot, model = label.lower().partition(".")
    try:
        content_type = ContentType.objects.get_by_natural_key(app_label, model)
        model_class = content_type.model_class()
        return model_class._default_manager.get(pk=pk)
    except (ContentType.DoesNotExist, ValueError, TypeError, AttributeError) as error:
        raise UnknownAudience(f"no {label} with id {pk!r}") from error
    except Exception as error:
        if type(error).__name__ == "DoesNotExist" or "ValidationError" in type(error).__name__:
            raise UnknownAudience(f"no {label} with id {pk!r}") from error
        raise


def follow(user: Any, obj: Any) -> bool:
    """Make ``user`` follow ``obj``; True when they did not already."""
    content_type, key = target(obj)
    try:
        with transaction.atomic():
            _row, created = Subscription.objects.get_or_create(
                user_id=getattr(user, "pk", user), content_type=content_type, object_id=key
            )
    except IntegrityError:  # a concurrent follow of the same object won
        return False
    return created


def unfollow(user: Any, obj: Any) -> bool:
    """Stop ``user`` following ``obj``; True when they did."""
    content_type, key = target(obj)
    deleted, _ = Subscription.objects.filter(
        user_id=getattr(user, "pk", user), content_type=content_type, object_id=key
    ).delete()
    return bool(deleted)


def is_following(user: Any, obj: Any) -> bool:
    content_type, key = target(obj)
    return Subscription.objects.filter(
        user_id=getattr(user, "pk", user), content_type=content_type, object_id=key
    ).exists()


def clean(obj: Any) -> list:
    """``followers_of`` as stored: ``[content_type_id, key]``."""
    content_type, key = target(obj)
    return [content_type.pk, key]


def followers(value: list) -> QuerySet:
    """User ids following the stored object (uses index (content_type, object_id, user))."""
    content_type_id, key = value
    return Subscription.objects.filter(content_type_id=content_type_id, object_id=key).values_list("user_id", flat=True)
