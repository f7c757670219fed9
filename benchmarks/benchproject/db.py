"""Create the benchmark's SQLite file (schema + rows) without migrations."""

from __future__ import annotations

import datetime
import decimal


def create_database() -> None:
    """Create the table and 20 rows in the configured DB; call after ``django.setup()``."""
    from django.db import connection

    from benchproject.books.models import Book

    with connection.schema_editor() as editor:
        editor.create_model(Book)
    Book.objects.bulk_create(
        Book(
            title=f"Book number {i}",
            author=f"Author {i % 7}",
            isbn=f"978000000{i:04d}",
            published=datetime.date(2000 + i % 25, 1 + i % 12, 1 + i % 28),
            price=decimal.Decimal(f"{10 + i}.99"),
            in_stock=i % 3 != 0,
        )
        for i in range(20)
    )
    connection.close()
