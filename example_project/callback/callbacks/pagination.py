from rest_framework.pagination import CursorPagination


class CallbackCursorPagination(CursorPagination):
    """Stable pages while new callbacks arrive (offsets would shift under inserts)."""

    ordering = ("-created_at", "-id")
    page_size_query_param = "page_size"
    max_page_size = 200
