from django.urls import include, path
from rest_framework.routers import DefaultRouter

from callbacks.views import CallbackViewSet, HealthView

router = DefaultRouter()
router.register("callbacks", CallbackViewSet, basename="callback")

urlpatterns = [
    path("health/", HealthView.as_view(), name="health"),
    path("", include(router.urls)),
]
