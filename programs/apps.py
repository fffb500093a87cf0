from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProgramsConfig(AppConfig):
    name = "programs"
    verbose_name = _("Programs")

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from programs import audit
        from programs.staff_session import remember_staff_on_login

        # Django's own event, not our control flow: the header's "Staff workspace" link is
        # decided once per sign-in rather than by a query on every page (see staff_session).
        user_logged_in.connect(remember_staff_on_login, dispatch_uid="programs.staff_session")
        # The audit log's watch on rules, stages, decisions and memberships (django-auditlog).
        audit.register()
