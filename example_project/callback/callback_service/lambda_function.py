from django_lambda_bridge import make_handler

handler = make_handler("callback_service.settings")
