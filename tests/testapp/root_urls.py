"""The test URLconf plus a view at the root path ``/`` (REST APIs route it apart)."""

from django.urls import include, path

from . import views

urlpatterns = [
    path("", views.echo, name="root"),
    path("", include("tests.testapp.urls")),
]
