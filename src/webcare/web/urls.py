from django.contrib.auth.views import LogoutView
from django.urls import path

from webcare.web import views

app_name = "web"

conversation = "a/<int:account_id>/c/<int:display_id>/"

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", LogoutView.as_view(), name="logout"),
    path("a/<int:account_id>/conversations/", views.conversation_list, name="conversations"),
    path(conversation, views.conversation_detail, name="conversation"),
    path(conversation + "compose/", views.compose, name="compose"),
    path(conversation + "counter/", views.counter, name="counter"),
    path(conversation + "assign/", views.assign, name="assign"),
    path(conversation + "status/", views.change_status, name="status"),
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
