from django.urls import include, path
from django.views.generic import RedirectView
from rest_framework.authtoken.views import obtain_auth_token
from rest_framework.routers import DefaultRouter

from . import views

app_name = "sample"

router = DefaultRouter()
router.register("authors", views.AuthorViewSet, basename="author")
router.register("books", views.BookViewSet, basename="book")
router.register("reviews", views.ReviewViewSet, basename="review")

urlpatterns = [
    path("", include(router.urls)),
    path(
        "attachments/<int:pk>/download/",
        views.download_attachment,
        name="attachment-download",
    ),
    path("stats/", views.stats, name="stats"),
    path("auth/token/", obtain_auth_token, name="token"),
    path("auth/csrf/", views.csrf, name="csrf"),
    path("auth/login/", views.session_login, name="login"),
    path("auth/logout/", views.session_logout, name="logout"),
    path("auth/me/", views.me, name="me"),
    path("catalogue/", views.catalogue, name="catalogue"),
    path("account/", views.account, name="account"),
    path(
        "legacy/books/<int:pk>/",
        RedirectView.as_view(pattern_name="sample:book-detail", permanent=True),
        name="legacy-book",
    ),
]
