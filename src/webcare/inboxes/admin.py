"""Django admin for inboxes: mainly which team answers each one (`team`)."""

from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import ForeignKey
from django.http import HttpRequest

from webcare.accounts.models import Team
from webcare.inboxes.models import Inbox, MessageTemplate


@admin.register(Inbox)
class InboxAdmin(admin.ModelAdmin):
    """New conversations of an inbox go to its team, round-robin when the team auto-assigns."""

    list_display = ("name", "kind", "account", "team")
    list_filter = ("account", "kind", "team")
    search_fields = ("name", "handle")
    readonly_fields = ("token", "secret", "created_at")

    def get_form(
        self, request: HttpRequest, obj: Inbox | None = None, change: bool = False, **kwargs: Any
    ) -> type[forms.ModelForm]:
        # Remembered for the team field below: only the inbox's own account's teams.
        request._inbox_account_id = obj.account_id if obj else None  # type: ignore[attr-defined]
        return super().get_form(request, obj, change, **kwargs)

    def formfield_for_foreignkey(
        self, db_field: ForeignKey, request: HttpRequest, **kwargs: Any
    ) -> forms.ModelChoiceField | None:
        account_id = getattr(request, "_inbox_account_id", None)
        if db_field.name == "team" and account_id is not None:
            kwargs["queryset"] = Team.objects.filter(account_id=account_id)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(MessageTemplate)
class MessageTemplateAdmin(admin.ModelAdmin):
    """WhatsApp templates, for a lead to add by hand what `webcare inbox templates sync`
    cannot fetch (no WABA id, or a template approved in another tool). Only approved ones
    are offered in the composer; the body must be exactly the text Meta approved."""

    list_display = ("name", "language", "category", "status", "inbox", "updated_at")
    list_filter = ("inbox", "status", "language")
    search_fields = ("name", "body")
    readonly_fields = ("external_id", "updated_at")
