from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MatchmakerConfig(AppConfig):
    name = "matchmaker"
    verbose_name = _("Matching")

    def ready(self) -> None:
        from django.contrib.auth.signals import user_login_failed

        from matchmaker.security import log_failed_sign_in

        user_login_failed.connect(log_failed_sign_in, dispatch_uid="matchmaker.security")
