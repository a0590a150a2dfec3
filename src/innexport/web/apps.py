from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "innexport.web"
    label = "web"
    verbose_name = "innexport"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from innexport.web import evidence  # noqa: F401 - connects the erasure of evidence files (post_delete)
