"""OpenAPI servers that match the URL the schema was fetched from.

Behind an API Gateway stage the API lives under ``/prod``; the schema's paths
stay ``/api/v1/...`` and the server URL carries the stage, so generated
clients call the right URLs wherever the schema was served from.
"""

from django.urls import get_script_prefix


def servers_from_request(result, generator, request, public, **kwargs):
    if request is not None:
        root = request.build_absolute_uri(get_script_prefix()).rstrip("/")
        result["servers"] = [{"url": root}]
    return result
