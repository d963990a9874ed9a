"""The team lead's page for an inbox's response-time promises and business hours.

Leads and admins only: the promises decide which conversations turn amber and red for the
whole team, so an agent cannot move them (403; the link is not shown to agents either). The
form turns the inputs into the stored shapes and says in the lead's language what is wrong,
next to the input; the rules themselves live in inboxes/business_hours.py and the action,
which the view calls afterwards, so the page, the API and the command line agree.
"""

import re
import zoneinfo
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.dates import WEEKDAYS, WEEKDAYS_ABBR
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods
from holidays.registry import COUNTRIES

from webcare.accounts.access import access_account, is_lead_or_admin
from webcare.accounts.models import Account, User
from webcare.channels.health import Health, connector_health
from webcare.core.errors import ActionError
from webcare.inboxes.actions import MAX_PROMISE_MINUTES, update_inbox_promises
from webcare.inboxes.business_hours import (
    DAYS,
    describe_opening_hours,
    parse_opening_hours,
    validate_calendar_settings,
)
from webcare.inboxes.models import Inbox
from webcare.web.lookups import request_user

# Status 422 marks a page re-rendered with form errors (base.html tells htmx to swap it).
INVALID = 422
# Shifts per day the form offers; a stored table with more gets as many rows as it needs.
DEFAULT_SHIFTS = 2
MAX_SHIFTS = 6
TARGET_FIELDS = ("first_response_minutes", "next_response_minutes", "resolution_minutes")


@lru_cache(maxsize=1)
def timezone_names() -> list[str]:
    """IANA names for the time-zone suggestions; reading the zone database once is plenty."""
    return sorted(name for name in zoneinfo.available_timezones() if "/" in name or name == "UTC")


@lru_cache(maxsize=1)
def holiday_countries() -> list[tuple[str, str]]:
    """(code, English name) of every country the `holidays` package knows, for suggestions."""
    names = {
        entry[1]: re.sub(r"(?<=[a-z])(?=[A-Z])", " ", entry[0]) for entry in COUNTRIES.values()
    }
    return sorted(names.items())


def lead_account(request: HttpRequest, account_id: int) -> tuple[User, Account]:
    """The account, for its leads and admins; a mere member gets 403, a stranger 404."""
    user = request_user(request)
    account = access_account(user, account_id)
    if not is_lead_or_admin(user, account.pk):
        raise PermissionDenied(gettext("Only a team lead or an admin can change inbox settings."))
    return user, account


def _minutes_field(label: str, help_text: str, *, required: bool) -> forms.IntegerField:
    return forms.IntegerField(
        label=label,
        help_text=help_text,
        required=required,
        min_value=0 if required else 1,
        max_value=MAX_PROMISE_MINUTES,
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "class": "settings-minutes"}),
    )


@dataclass(frozen=True)
class DayRow:
    """One weekday in the opening-hours table, with its bound fields."""

    code: str
    name: str
    closed: forms.BoundField
    shifts: list[tuple[forms.BoundField, forms.BoundField]]
    errors: list[str]


class InboxPromisesForm(forms.Form):
    """Promises, calendar and opening hours of one inbox.

    Opening hours come in as a "closed" box and from/until pairs per weekday, and leave as the
    stored table (`cleaned_data["opening_hours"]`), checked one day at a time so that an error
    lands on the row it is about.
    """

    first_response_minutes = _minutes_field(
        _("First response"),
        _("Business minutes until the first answer. Empty: no promise."),
        required=False,
    )
    next_response_minutes = _minutes_field(
        _("Next response"),
        _("Business minutes until each later answer. Empty: no promise."),
        required=False,
    )
    resolution_minutes = _minutes_field(
        _("Resolution"),
        _("Business minutes until the conversation is resolved. Empty: no promise."),
        required=False,
    )
    warn_before_minutes = _minutes_field(
        _("Warn before"),
        _("Minutes on the clock before a promise is due that it turns amber."),
        required=True,
    )
    timezone = forms.CharField(
        label=_("Time zone"),
        max_length=64,
        help_text=_("The opening hours are in this zone, e.g. Europe/Amsterdam."),
        widget=forms.TextInput(attrs={"list": "timezones", "autocomplete": "off"}),
    )
    holiday_country = forms.CharField(
        label=_("Public holidays of"),
        max_length=2,
        required=False,
        help_text=_(
            "A two-letter country code, e.g. NL, BE or DE; closed all day on its "
            "public holidays. Empty: no holidays."
        ),
        widget=forms.TextInput(
            attrs={"list": "holiday-countries", "autocomplete": "off", "class": "settings-code"}
        ),
    )
    holiday_subdivision = forms.CharField(
        label=_("Region"),
        max_length=10,
        required=False,
        help_text=_("Optional: a province or state with holidays of its own, e.g. BY."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "class": "settings-code"}),
    )
    always_open = forms.BooleanField(
        label=_("Open around the clock"),
        required=False,
        help_text=_("Every minute counts, holidays included; the table below is ignored."),
    )
    shifts = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=MAX_SHIFTS)

    def __init__(self, *args: Any, inbox: Inbox, **kwargs: Any) -> None:
        initial = self.initial_for(inbox)
        super().__init__(*args, initial=initial, **kwargs)
        self.inbox = inbox
        shifts = initial["shifts"]
        if self.is_bound:
            raw = str(self.data.get("shifts", ""))
            shifts = int(raw) if raw.isdigit() and 1 <= int(raw) <= MAX_SHIFTS else shifts
        self.shift_count = shifts
        time_attrs = {
            "class": "settings-time",
            "inputmode": "numeric",
            "maxlength": "5",
            "autocomplete": "off",
            "placeholder": gettext("hh:mm"),
        }
        for index, day in enumerate(DAYS):
            self.fields[f"{day}_closed"] = forms.BooleanField(
                label=_("Closed on %(day)s") % {"day": WEEKDAYS[index]}, required=False
            )
            for shift in range(shifts):
                for end in ("opens", "closes"):
                    self.fields[f"{day}_{shift}_{end}"] = forms.CharField(
                        required=False, max_length=5, widget=forms.TextInput(attrs=time_attrs)
                    )

    @staticmethod
    def initial_for(inbox: Inbox) -> dict[str, Any]:
        hours = inbox.opening_hours or {}
        initial: dict[str, Any] = {
            field: getattr(inbox, field)
            for field in (*TARGET_FIELDS, "warn_before_minutes", "timezone")
        }
        initial.update(
            holiday_country=inbox.holiday_country,
            holiday_subdivision=inbox.holiday_subdivision,
            always_open=not hours,
            shifts=max(DEFAULT_SHIFTS, *(len(hours.get(day) or []) for day in DAYS)),
        )
        for day in DAYS:
            intervals = hours.get(day) or []
            initial[f"{day}_closed"] = bool(hours) and not intervals
            for shift, (opens, closes) in enumerate(intervals):
                initial[f"{day}_{shift}_opens"] = opens
                initial[f"{day}_{shift}_closes"] = closes
        return initial

    def promise_inputs(self) -> list[forms.BoundField]:
        return [self[name] for name in (*TARGET_FIELDS, "warn_before_minutes")]

    def calendar_inputs(self) -> list[forms.BoundField]:
        return [self[name] for name in ("timezone", "holiday_country", "holiday_subdivision")]

    def day_rows(self) -> list[DayRow]:
        rows = []
        for index, day in enumerate(DAYS):
            rows.append(
                DayRow(
                    code=day,
                    name=str(WEEKDAYS[index]),
                    closed=self[f"{day}_closed"],
                    shifts=[
                        (self[f"{day}_{shift}_opens"], self[f"{day}_{shift}_closes"])
                        for shift in range(self.shift_count)
                    ],
                    errors=list(self.errors.get(f"{day}_0_opens", [])),
                )
            )
        return rows

    def _day_intervals(self, day: str) -> list[list[str]] | None:
        """The day's filled-in pairs; None (with an error on the row) if half of one is empty."""
        intervals = []
        for shift in range(self.shift_count):
            opens = self.cleaned_data.get(f"{day}_{shift}_opens", "").strip()
            closes = self.cleaned_data.get(f"{day}_{shift}_closes", "").strip()
            if opens and closes:
                intervals.append([opens, closes])
            elif opens or closes:
                self.add_error(
                    f"{day}_0_opens",
                    gettext("Fill in both when it opens and when it closes."),
                )
                return None
        return intervals

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("always_open"):
            cleaned["opening_hours"] = {}
        else:
            table: dict[str, list[list[str]]] = {}
            for day in DAYS:
                intervals = [] if cleaned.get(f"{day}_closed") else self._day_intervals(day)
                if intervals is None:
                    continue
                if not intervals and not cleaned.get(f"{day}_closed"):
                    self.add_error(
                        f"{day}_0_opens",
                        gettext("Fill in the opening hours, or tick “closed”."),
                    )
                    continue
                try:
                    table[day] = parse_opening_hours({day: intervals})[day]
                except ActionError as exc:
                    self.add_error(f"{day}_0_opens", _without_day(exc.message, day))
            cleaned["opening_hours"] = table
        try:
            validate_calendar_settings(
                cleaned.get("timezone", ""),
                cleaned.get("holiday_country", ""),
                cleaned.get("holiday_subdivision", ""),
            )
        except ActionError as exc:
            self.add_action_error(exc)
        return cleaned

    def add_action_error(self, exc: ActionError) -> None:
        """Put an action's refusal next to the input it is about."""
        field = exc.field if exc.field in self.fields else None
        if exc.field == "opening_hours":
            field = "always_open"
        self.add_error(field, exc.message)

    def promise_fields(self) -> dict[str, object]:
        """The cleaned values, named as update_inbox_promises takes them."""
        names = (
            *TARGET_FIELDS,
            "warn_before_minutes",
            "timezone",
            "holiday_country",
            "holiday_subdivision",
            "opening_hours",
        )
        return {name: self.cleaned_data[name] for name in names}


def _without_day(message: str, day: str) -> str:
    """'tue: 22:00-08:00 ends ...' shown on Tuesday's own row reads better without 'tue: '."""
    prefix = f"{day}: "
    message = message.removeprefix(prefix)
    return message[:1].upper() + message[1:]


@dataclass(frozen=True)
class InboxRow:
    inbox: Inbox
    hours: str
    health: Health


def hours_summary(hours: dict) -> str:
    """The opening hours in the reader's language ("ma-vr 08:00-22:00; za-zo gesloten")."""
    try:
        return describe_opening_hours(
            hours,
            day_names=[str(WEEKDAYS_ABBR[index]) for index in range(7)],
            closed=gettext("closed"),
            always=gettext("around the clock"),
        )
    except ActionError as exc:
        return exc.message


@login_required
@require_GET
def inbox_list(request: HttpRequest, account_id: int) -> HttpResponse:
    """Every inbox of the account with its promises at a glance, each a link to change them."""
    _lead, account = lead_account(request, account_id)
    inboxes = Inbox.objects.filter(account=account).order_by("name", "pk")
    return TemplateResponse(
        request,
        "web/inbox_settings_list.html",
        {
            "account": account,
            "rows": [
                InboxRow(inbox, hours_summary(inbox.opening_hours), connector_health(inbox))
                for inbox in inboxes
            ],
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def inbox_settings(request: HttpRequest, account_id: int, inbox_id: int) -> HttpResponse:
    """Show the inbox's promises and hours; on POST save them through the action."""
    user, account = lead_account(request, account_id)
    inbox = Inbox.objects.filter(pk=inbox_id, account=account).first()
    if inbox is None:
        raise Http404("No such inbox")
    if request.method == "POST":
        form = InboxPromisesForm(request.POST, inbox=inbox)
        if form.is_valid():
            try:
                update_inbox_promises(user, inbox, **form.promise_fields())
            except ActionError as exc:
                form.add_action_error(exc)
            else:
                messages.success(
                    request, gettext("Saved the promises of %(inbox)s.") % {"inbox": inbox.name}
                )
                url = reverse("web:inbox-settings", args=[account.pk, inbox.pk])
                return HttpResponseRedirect(url, status=303)
        # The stored inbox is untouched by a refused form; show the lead what they typed.
        inbox.refresh_from_db()
        status = INVALID
    else:
        form = InboxPromisesForm(inbox=inbox)
        status = 200
    return TemplateResponse(
        request,
        "web/inbox_settings.html",
        {
            "account": account,
            "inbox": inbox,
            "form": form,
            "days": form.day_rows(),
            "timezones": timezone_names(),
            "countries": holiday_countries(),
            "hours": hours_summary(inbox.opening_hours),
        },
        status=status,
    )
