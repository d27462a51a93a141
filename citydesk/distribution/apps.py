from django.apps import AppConfig


class DistributionConfig(AppConfig):
    name = "citydesk.distribution"
    verbose_name = "多渠道分发"

    def ready(self) -> None:
        from citydesk.distribution import push, tasks

        del push, tasks  # imported for the start-up check and the task's registration
