"""The HTTP path: API Gateway / ALB / Function URL / VPC Lattice events to Django and back.

Public names: ``lambda_info`` (the request accessor), ``LambdaInfo`` and
``Authorizer``. The DRF authentication class is in ``http.drf`` so that DRF is
only imported by projects that use it.
"""

from django_lambda_bridge.http.authorizer import Authorizer
from django_lambda_bridge.http.info import LambdaInfo, lambda_info

__all__ = ["Authorizer", "LambdaInfo", "lambda_info"]
