"""Cursor pagination with a stable, unique order for live lists."""

from rest_framework.pagination import CursorPagination


class NewestFirstCursorPagination(CursorPagination):
    """Newest first; `-id` breaks ties so the order is unique and no item repeats or hides."""

    ordering: tuple[str, ...] = ("-created_at", "-id")
    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100
