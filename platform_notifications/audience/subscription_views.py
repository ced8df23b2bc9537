"""``GET|POST|DELETE /api/notifications/subscriptions/``: what the caller follows (``{"object", "pk"}``).

Only host-declared followable models can be followed (anything else is a 400); the caller's own rows only.
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response

from platform_notifications.api.base import ApiView
from platform_notifications.api.errors import TrayError, TrayNotFound
from platform_notifications.audience import followers
from platform_notifications.exceptions import UnknownAudience
from platform_notifications.models import Subscription


def _target(request, data):
    try:
        return followers.lookup(data.get("object"), data.get("pk"))
    except UnknownAudience as error:
        raise TrayError(str(error)) from error


class SubscriptionsView(ApiView):
    """``GET`` lists what the caller follows; ``POST`` follows and ``DELETE`` unfollows ``{"object", "pk"}``."""

    @extend_schema(responses={200: dict}, summary="What the user follows")
    def get(self, request):
        rows = Subscription.objects.filter(user=request.user).select_related("content_type").order_by("-created")
        if "object" in request.query_params:
            obj = _target(request, request.query_params)
            return Response({"following": followers.is_following(request.user, obj)})
        return Response(
            {
                "results": [
                    {
                        "object": f"{r.content_type.app_label}.{r.content_type.model}",
                        "pk": r.object_id,
                        "created": r.created,
                    }
                    for r in rows[:500]
                ]
            }
        )

    @extend_schema(request=dict, responses={201: dict, 200: dict}, summary="Follow an object")
    def post(self, request):
        obj = _target(request, request.data if isinstance(request.data, dict) else {})
        created = followers.follow(request.user, obj)
        return Response({"following": True}, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)

    @extend_schema(request=dict, responses={204: None}, summary="Stop following an object")
    def delete(self, request):
        data = request.data if isinstance(request.data, dict) and request.data else request.query_params
        obj = _target(request, data)
        if not followers.unfollow(request.user, obj):
            raise TrayNotFound("Subscription not found.")
        return Response(status=status.HTTP_204_NO_CONTENT)
