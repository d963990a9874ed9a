from django.contrib.auth.views import LogoutView
from django.urls import path

from webcare.web import (
    availability,
    canned,
    connectors,
    drafts,
    handover,
    inbox_settings,
    storms,
    views,
)

app_name = "web"

conversation = "a/<int:account_id>/c/<int:display_id>/"

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", LogoutView.as_view(), name="logout"),
    path("a/<int:account_id>/conversations/", views.conversation_list, name="conversations"),
    path("a/<int:account_id>/availability/", availability.set_availability, name="availability"),
    path("a/<int:account_id>/handover/", handover.handover_page, name="handover"),
    path(
        "a/<int:account_id>/settings/inboxes/",
        inbox_settings.inbox_list,
        name="inbox-settings-list",
    ),
    path(
        "a/<int:account_id>/settings/inboxes/<int:inbox_id>/",
        inbox_settings.inbox_settings,
        name="inbox-settings",
    ),
    path(
        "a/<int:account_id>/settings/inboxes/<int:inbox_id>/connection/",
        connectors.connection_page,
        name="connection",
    ),
    path(
        "a/<int:account_id>/settings/inboxes/<int:inbox_id>/connection/test/",
        connectors.test_connection,
        name="test-connection",
    ),
    path(
        "a/<int:account_id>/settings/inboxes/<int:inbox_id>/connection/templates/",
        connectors.sync_message_templates,
        name="sync-templates",
    ),
    path("a/<int:account_id>/notifications/", handover.notifications_page, name="notifications"),
    path("a/<int:account_id>/storms/", storms.storms_page, name="storms"),
    path("a/<int:account_id>/canned/", canned.canned_page, name="canned"),
    path(
        "a/<int:account_id>/canned/<int:canned_id>/delete/",
        canned.canned_delete,
        name="canned-delete",
    ),
    path("a/<int:account_id>/storms/<int:storm_id>/", storms.storm_action, name="storm-action"),
    path(
        "a/<int:account_id>/notifications/read/",
        handover.notifications_read,
        name="notifications-read",
    ),
    path(conversation, views.conversation_detail, name="conversation"),
    path(conversation + "compose/", views.compose, name="compose"),
    path(conversation + "draft/", drafts.save, name="draft"),
    path(conversation + "draft/discard/", drafts.discard, name="discard-draft"),
    path(conversation + "counter/", views.counter, name="counter"),
    path(conversation + "template/", views.send_template, name="send-template"),
    path(
        conversation + "template/<int:template_id>/preview/",
        views.template_preview,
        name="template-preview",
    ),
    path(conversation + "assign/", views.assign, name="assign"),
    path(conversation + "status/", views.change_status, name="status"),
    path(conversation + "no-reply/", views.no_reply_needed, name="no-reply"),
    path(conversation + "take-up/", views.take_up, name="take-up"),
    path(
        conversation + "m/<int:message_id>/invite-private/",
        views.invite_private,
        name="invite-private",
    ),
    path(conversation + "m/<int:message_id>/moderate/", views.moderate, name="moderate"),
    path(
        conversation + "messages/<int:message_id>/needs-reply/",
        views.needs_reply_again,
        name="needs-reply",
    ),
    path(conversation + "priority/", views.set_priority, name="priority"),
    path(conversation + "labels/", views.add_labels, name="add-labels"),
    path(conversation + "labels/remove/", views.remove_label, name="remove-label"),
    path(
        conversation + "messages/<int:message_id>/retry/",
        views.retry_delivery,
        name="retry",
    ),
    path(
        conversation + "messages/<int:message_id>/mark-sent/",
        views.mark_sent,
        name="mark-sent",
    ),
]
