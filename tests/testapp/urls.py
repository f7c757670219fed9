from django.urls import include, path
from rest_framework.routers import DefaultRouter

from . import views

router = DefaultRouter()
router.register("widgets", views.WidgetViewSet)
router.register("pg/widgets", views.PostgresWidgetViewSet, basename="pg-widget")

urlpatterns = [
    path("echo/", views.echo, name="echo"),
    path("cookies/", views.cookies),
    path("redirect/", views.redirect),
    path("binary/", views.binary),
    path("gzipped/", views.gzipped),
    path("latin1/", views.latin1),
    path("big/", views.big),
    path("stream/", views.stream),
    path("broken-stream/", views.broken_stream),
    path("boom/", views.boom),
    path("vnd/", views.json_problem),
    path("whoami/", views.whoami),
    path("api/", include(router.urls)),
    path("upload/", views.upload),
    path("named/<str:name>/", views.named),
    path("escaped/", views.escaped),
    path("typed/", views.typed),
    path("sample/", include("tests.sampleapp.urls")),
    path("nonascii-json/", views.nonascii_json),
    path("big-file/", views.big_file),
    path("endless/", views.endless),
    path("healthz/", views.health),
    path("yaml/", views.yaml_schema),
    path("multipart/", views.multipart),
]
