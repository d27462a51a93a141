from django.apps import AppConfig


class WorkerConfig(AppConfig):
    name = "citydesk.worker"
    verbose_name = "后台任务"
