from django.urls import include, path
from rest_framework.routers import DefaultRouter

from demo.notes import views

router = DefaultRouter()
router.register("notes", views.NoteViewSet)

urlpatterns = [
    path("", views.index, name="index"),
    path("whoami/", views.whoami, name="whoami"),
    path("api/", include(router.urls)),
]
