import django_filters
from django.db.models import Q

from messaging.models import ExchangeMessage
from messaging.states import State


class MessageFilter(django_filters.FilterSet):
    """``?state=&partner=&type=&created_after=&created_before=``; bad values are a 400."""

    state = django_filters.MultipleChoiceFilter(choices=State.choices)
    partner = django_filters.CharFilter(method="filter_partner", label="Counterpart name")
    type = django_filters.CharFilter()
    created_after = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")

    class Meta:
        model = ExchangeMessage
        fields = ["state", "partner", "type", "created_after", "created_before"]

    def filter_partner(self, queryset, name, value):
        return queryset.filter(Q(sender__name=value) | Q(recipient__name=value))
