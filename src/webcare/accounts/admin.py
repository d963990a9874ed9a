"""Django admin for teams and memberships: who answers what, and how much each person takes.

Availability and capacity changes go through the actions, so that an admin who sets someone
offline returns their conversations to the team exactly as the agent's own switch would.
"""

from django import forms
from django.contrib import admin
from django.http import HttpRequest

from webcare.accounts.actions import do_set_availability, do_set_capacity
from webcare.accounts.models import Membership, Team


class TeamForm(forms.ModelForm):
    class Meta:
        model = Team
        fields = ["account", "name", "auto_assign", "members"]

    def clean(self) -> dict[str, object]:
        cleaned = super().clean() or {}
        account = cleaned.get("account")
        members = cleaned.get("members")
        if account is not None and members is not None:
            outsiders = [u for u in members if not u.memberships.filter(account=account).exists()]
            if outsiders:
                names = ", ".join(u.username for u in outsiders)
                self.add_error("members", f"Not a member of {account}: {names}.")
        return cleaned


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    """A routing group; with auto-assign on, its inboxes' new conversations go round-robin."""

    form = TeamForm
    list_display = ("name", "account", "auto_assign")
    list_filter = ("account", "auto_assign")
    search_fields = ("name",)
    filter_horizontal = ("members",)


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ("user", "account", "role", "availability", "capacity", "last_assigned_at")
    list_filter = ("account", "role", "availability")
    search_fields = ("user__username", "user__first_name", "user__last_name")
    readonly_fields = ("last_assigned_at", "created_at")

    def save_model(
        self, request: HttpRequest, obj: Membership, form: forms.ModelForm, change: bool
    ) -> None:
        if not change:
            super().save_model(request, obj, form, change)
            return
        availability, capacity = obj.availability, obj.capacity
        stored = Membership.objects.get(pk=obj.pk)
        obj.availability, obj.capacity = stored.availability, stored.capacity
        super().save_model(request, obj, form, change)
        do_set_capacity(obj, capacity)
        do_set_availability(obj, availability)
