from django_lambda_bridge import make_handler

handler = make_handler("exchange_service.settings")
