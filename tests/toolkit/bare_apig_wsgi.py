"""The same Django project behind a bare apig-wsgi handler, without this library's fixes.

Used to show that the toolkit catches contract differences: run a suite with
``--lambda-handler=tests.toolkit.bare_apig_wsgi:handler``.
"""

from apig_wsgi import make_lambda_handler
from django.core.handlers.wsgi import WSGIHandler

wsgi_app = WSGIHandler()
handler = make_lambda_handler(wsgi_app, binary_support=True)
handler.wsgi_app = wsgi_app  # lets the test client see inside, as it does with ours
