from django.db import models


class Delivery(models.Model):
    """A row an event handler writes, so tests can see what was committed."""

    name = models.CharField(max_length=100, unique=True)

    class Meta:
        ordering = ("id",)
