from django.apps import AppConfig


class ProcessingConfig(AppConfig):
    name = "processing"
    verbose_name = "Document processing"

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers the settings checks)
