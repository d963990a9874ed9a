from django.contrib import admin
from django.urls import include, path

from webcare.api.root import api
from webcare.channels import webhooks

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", api.urls),
    path("hooks/api/<str:token>", webhooks.api_webhook, name="hook-api"),
    path("", include("webcare.web.urls")),
]
