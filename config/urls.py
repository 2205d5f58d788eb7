from django.contrib import admin
from django.urls import include, path

from calendly.urls import webhook_urlpatterns as calendly_webhooks
from config.health import healthz
from ghl.urls import webhook_urlpatterns as ghl_webhooks
from integrations.urls import webhook_urlpatterns as inbound_email

urlpatterns = [
    # First: providers' deliveries are most of the requests, and every pattern tried before a
    # match costs each of them.
    path("webhooks/", include([*calendly_webhooks, *ghl_webhooks, *inbound_email])),
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("api/", include("workspaces.api.urls")),
    path("", include("workspaces.urls")),
    path("", include("booking.urls")),
    path("", include("followups.urls")),
    path("", include("integrations.urls")),
    path("", include("calendly.urls")),
    path("", include("ghl.urls")),
]

handler500 = "config.errors.handler500"
