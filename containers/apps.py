from django.apps import AppConfig
from django.db.models.signals import post_migrate


class ContainersConfig(AppConfig):
    name = "containers"
    verbose_name = "Pier"

    def ready(self) -> None:
        from .services.hosts import register_local_host

        def register_after_migrate(sender, **kwargs):
            register_local_host()

        post_migrate.connect(register_after_migrate, sender=self, weak=False)
