"""The outbox in Django's admin, for platform operators: what was sent, what failed and why,
and who switched which mail off. Read-only: the sender and the users' own settings page are
the only writers."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from matchmaker.models import EmailOptOut, Notification

NOTIFICATION_FIELDS = (
    "key",
    "kind",
    "recipient",
    "to_email",
    "status",
    "attempts",
    "next_attempt_at",
    "claimed_at",
    "sent_at",
    "last_error",
    "created_at",
    "headers",
    "subject",
    "body_text",
)


class ReadOnlyAdmin(admin.ModelAdmin[Any]):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "kind", "to_email", "status", "attempts", "sent_at"]
    list_filter = ["status", "kind", "created_at"]
    search_fields = ["to_email", "key", "subject"]
    date_hierarchy = "created_at"
    list_select_related = False
    show_full_result_count = False  # the outbox grows large; counting it on every page is slow
    fields = readonly_fields = NOTIFICATION_FIELDS


@admin.register(EmailOptOut)
class EmailOptOutAdmin(ReadOnlyAdmin):
    list_display = ["user", "kind", "created_at"]
    list_filter = ["kind"]
    search_fields = ["user__email"]
    list_select_related = ["user"]
    fields = readonly_fields = ("user", "kind", "created_at")
