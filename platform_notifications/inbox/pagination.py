"""The tray's page envelope (``next, previous, count, num_pages, current_page, start, results``), strictly validated."""

from __future__ import annotations

from typing import Any

from django.core.paginator import InvalidPage
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response

from platform_notifications.api.errors import TrayError, TrayNotFound

DEFAULT_PAGE_SIZE = 10
MAX_PAGE_SIZE = 100
#: Page numbers have at most nine digits (a larger one is refused before it reaches the paginator).
MAX_PAGE_NUMBER = 999_999_999


def positive_int(raw: str, name: str, maximum: int | None = None) -> int:
    """``raw`` as an integer in ``[1, maximum]``, or a 400 that says what was wrong."""
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 9:
        raise TrayError(f"{name} must be a positive integer")
    value = int(raw)
    if value < 1 or (maximum is not None and value > maximum):
        bound = f" between 1 and {maximum}" if maximum is not None else " of at least 1"
        raise TrayError(f"{name} must be an integer{bound}")
    return value


class TrayPagination(PageNumberPagination):
    page_size = DEFAULT_PAGE_SIZE
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE

    def get_page_size(self, request) -> int:
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        return positive_int(raw, "page_size", self.max_page_size)

    def paginate_queryset(self, queryset, request, view=None) -> list:
        # Validated here (not left to Django's paginator) so a malformed page is a 400 and a page past
        # the end a 404, both with the tray's ``{"error": ...}`` body.
        self.request = request
        page_size = self.get_page_size(request)
        number = positive_int(request.query_params.get(self.page_query_param, "1"), "page")
        paginator = self.django_paginator_class(queryset, page_size)
        try:
            self.page = paginator.page(number)
        except InvalidPage as exc:
            raise TrayNotFound(f"page {number} does not exist") from exc
        return list(self.page)

    def get_paginated_response(self, data: list) -> Response:
        return Response(self.envelope(data))

    def envelope(self, data: list) -> dict[str, Any]:
        size = self.page.paginator.per_page
        return {
            "next": self.get_next_link(),
            "previous": self.get_previous_link(),
            "count": self.page.paginator.count,
            "num_pages": self.page.paginator.num_pages,
            "current_page": self.page.number,
            "start": (self.page.number - 1) * size,
            "results": data,
        }

    def get_paginated_response_schema(self, schema: dict) -> dict:
        return {
            "type": "object",
            "required": ["next", "previous", "count", "num_pages", "current_page", "start", "results"],
            "properties": {
                "next": {"type": "string", "nullable": True, "format": "uri"},
                "previous": {"type": "string", "nullable": True, "format": "uri"},
                "count": {"type": "integer"},
                "num_pages": {"type": "integer"},
                "current_page": {"type": "integer"},
                "start": {"type": "integer"},
                "results": schema,
            },
        }
