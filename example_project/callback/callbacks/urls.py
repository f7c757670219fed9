from django.urls import include, path
from rest_framework.routers import DefaultRouter

from callbacks.views import CallbackViewSet, HealthView, SubscriptionViewSet

router = DefaultRouter()
router.register("callbacks", CallbackViewSet, basename="callback")
router.register("subscriptions", SubscriptionViewSet, basename="subscription")

urlpatterns = [
    path("health/", HealthView.as_view(), name="health"),
    path("", include(router.urls)),
]
