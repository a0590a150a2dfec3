from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "innexport.web"
    label = "web"
    verbose_name = "innexport"
    default_auto_field = "django.db.models.BigAutoField"
