from django.contrib import admin
from django.urls import include, path

from webcare.api.root import api
from webcare.channels import meta_webhooks, webhooks
from webcare.web import public

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", api.urls),
    path("hooks/api/<str:token>", webhooks.api_webhook, name="hook-api"),
    path("hooks/x/<str:token>", webhooks.x_webhook, name="hook-x"),
    path("hooks/whatsapp/<str:token>", meta_webhooks.whatsapp_webhook, name="hook-whatsapp"),
    path("hooks/facebook/<str:token>", meta_webhooks.facebook_webhook, name="hook-facebook"),
    path("hooks/instagram/<str:token>", meta_webhooks.instagram_webhook, name="hook-instagram"),
    path("forms/<str:token>/", public.contact_form, name="contact-form"),
    path("chat/<str:token>/config", public.chat_config, name="chat-config"),
    path("attachments/<int:attachment_id>/", public.attachment, name="attachment"),
    path("", include("webcare.web.urls")),
]
