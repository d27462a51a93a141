from django.apps import AppConfig


class PublishingConfig(AppConfig):
    name = "citydesk.publishing"
    verbose_name = "发布"

    def ready(self) -> None:
        from citydesk.publishing import backends, tasks

        tasks.connect()
        del backends  # imported for its system check
