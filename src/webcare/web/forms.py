"""Forms of the agent inbox: they read what was posted and say in the agent's language what is
wrong with it. The rules themselves stay in the actions, which the views call afterwards."""

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy

from webcare.accounts.models import Team, User
from webcare.channels import limits
from webcare.conversations.models import AGENT_REASONS, Conversation, Priority, Status
from webcare.replies.actions import reply_is_public

MODE_REPLY = "reply"
MODE_NOTE = "note"


class ComposeForm(forms.Form):
    """One box for both a reply to the customer and an internal note; `mode` says which."""

    mode = forms.ChoiceField(
        choices=[(MODE_REPLY, gettext_lazy("Reply")), (MODE_NOTE, gettext_lazy("Internal note"))],
        initial=MODE_REPLY,
        required=False,
    )
    text = forms.CharField(required=False, strip=True, widget=forms.Textarea)
    # The newest message on the agent's screen when the composer was drawn, and whether they
    # chose to send although a colleague replied since: the collision guard's two inputs.
    expected_last_message_id = forms.IntegerField(required=False, widget=forms.HiddenInput)
    send_anyway = forms.BooleanField(required=False)
    # Facebook and Instagram: answer the public comment with a private message instead.
    private = forms.BooleanField(required=False)

    def __init__(self, *args: Any, conversation: Conversation, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.conversation = conversation

    def clean_mode(self) -> str:
        return self.cleaned_data.get("mode") or MODE_REPLY

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        text = cleaned.get("text", "")
        mode = cleaned.get("mode", MODE_REPLY)
        if not text:
            message = (
                gettext("Write a note before adding it.")
                if mode == MODE_NOTE
                else gettext("Write a reply before sending.")
            )
            self.add_error("text", message)
            return cleaned
        if mode == MODE_REPLY:
            # The same check check_send_reply makes, worded for the agent in their language.
            kind = self.conversation.inbox.kind
            public = not cleaned.get("private") and reply_is_public(self.conversation)
            over = limits.over_limit(kind, public, text)
            if over:
                limit = limits.text_limit(kind, public)
                unit = gettext("bytes") if limit.unit == "bytes" else gettext("characters")
                self.add_error(
                    "text",
                    gettext(
                        "The reply is %(over)d %(unit)s too long for %(channel)s "
                        "(at most %(maximum)d). Shorten it, or continue in a private message."
                    )
                    % {
                        "over": over,
                        "unit": unit,
                        "channel": self.conversation.inbox.get_kind_display(),
                        "maximum": limit.maximum,
                    },
                )
        return cleaned


class AssignForm(forms.Form):
    """`to` is 'me', 'nobody', 'user:<id>' or 'team:<id>'; the view resolves it with access_*."""

    to = forms.CharField()

    def __init__(self, *args: Any, members: list[User], teams: list[Team], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.allowed = {"me", "nobody"}
        self.allowed |= {f"user:{member.pk}" for member in members}
        self.allowed |= {f"team:{team.pk}" for team in teams}

    def clean_to(self) -> str:
        value = self.cleaned_data["to"]
        if value not in self.allowed:
            raise forms.ValidationError(gettext("Choose a colleague or a team from the list."))
        return value


class StatusForm(forms.Form):
    status = forms.ChoiceField(choices=Status.choices)
    snoozed_until = forms.DateTimeField(
        required=False, widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    # Leaving `open` while customers wait needs a reason (conversations/accounting.py).
    no_reply_reason = forms.ChoiceField(choices=[("", ""), *AGENT_REASONS], required=False)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        status = cleaned.get("status")
        until = cleaned.get("snoozed_until")
        if status == Status.SNOOZED:
            if until is None:
                self.add_error("snoozed_until", gettext("Say until when to snooze."))
            elif until <= timezone.now():
                self.add_error("snoozed_until", gettext("Choose a moment in the future."))
        else:
            cleaned["snoozed_until"] = None
        return cleaned


class NoReplyForm(forms.Form):
    """'No reply needed' for one waiting customer message, or all when `message` is empty."""

    reason = forms.ChoiceField(choices=AGENT_REASONS)
    message = forms.IntegerField(required=False)


class PriorityForm(forms.Form):
    priority = forms.TypedChoiceField(choices=Priority.choices, coerce=int)


class AddLabelsForm(forms.Form):
    """Label names separated by commas; new names become new labels of the account."""

    names = forms.CharField(max_length=500)

    def clean_names(self) -> list[str]:
        names = [name.strip() for name in self.cleaned_data["names"].split(",") if name.strip()]
        if not names:
            raise forms.ValidationError(gettext("Type a label name."))
        return names


class RemoveLabelForm(forms.Form):
    name = forms.CharField(max_length=100)
