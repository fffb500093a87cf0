from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from applicants.registration import user_provision
from programs.models import StaffMembership


class Command(BaseCommand):
    help = (
        "Create a verified account, or update it if the address is taken: for onboarding "
        "agency staff and for support. Safe to run again: it sets the password and adds or "
        "updates the agency membership; it never removes rights."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--email", required=True, help="The account's email address.")
        parser.add_argument(
            "--password",
            required=True,
            help="The password; it must pass the site's password validators.",
        )
        parser.add_argument(
            "--staff",
            action="store_true",
            help="Make the user agency staff (needs --agency and --role). Not the Django admin.",
        )
        parser.add_argument("--agency", metavar="SLUG", help="The agency the staff member joins.")
        parser.add_argument(
            "--role",
            choices=StaffMembership.Role.values,
            help="The staff member's role in the agency.",
        )
        parser.add_argument(
            "--superuser",
            action="store_true",
            help="Give the user the Django admin with every permission.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        agency: str | None = options["agency"]
        role: str | None = options["role"]
        if role and not agency:
            raise CommandError("--role needs --agency SLUG.")
        if agency and not role:
            raise CommandError("--agency needs --role (admin or reviewer).")
        if options["staff"] and not agency:
            raise CommandError("--staff needs --agency SLUG and --role (admin or reviewer).")

        try:
            result = user_provision(
                email=options["email"],
                password=options["password"],
                superuser=options["superuser"],
                agency_slug=agency,
                role=role,
            )
        except ValidationError as error:
            raise CommandError("\n".join(error.messages)) from None

        action = "Created" if result.created else "Updated"
        details = []
        if result.membership is not None:
            details.append(f"{result.membership.get_role_display()} of {result.membership.agency}")
        if result.user.is_superuser:
            details.append("superuser")
        suffix = f" ({', '.join(details)})" if details else ""
        self.stdout.write(self.style.SUCCESS(f"{action} verified account {result.user}{suffix}."))
