from rest_framework.pagination import CursorPagination


class MessageCursorPagination(CursorPagination):
    """Newest first; a cursor stays stable while new messages arrive."""

    ordering = ("-created_at", "-id")
    page_size_query_param = "page_size"
    max_page_size = 100
