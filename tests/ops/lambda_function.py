"""A deployment's handler module, as in a real project's ``lambda_function.py``."""

from django_lambda_bridge import make_handler

handler = make_handler("tests.settings")
