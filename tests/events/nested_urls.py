from django.urls import include, path

urlpatterns = [path("internal/", include([path("events/", include("django_lambda_bridge.urls"))]))]
