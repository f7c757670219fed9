from rest_framework.renderers import JSONRenderer


class EnvelopeRenderer(JSONRenderer):
    """Wraps every payload as ``{"result": ...}``: the body differs from ``response.data``."""

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return super().render({"result": data}, accepted_media_type, renderer_context)
