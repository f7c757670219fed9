"""Docker-free local emulation of API Gateway, ALB and Function URLs."""

from django_lambda_bridge.local.server import LambdaHTTPServer, serve

__all__ = ["LambdaHTTPServer", "serve"]
