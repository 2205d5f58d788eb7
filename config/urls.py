from django.contrib import admin
from django.urls import include, path

from config.health import healthz

urlpatterns = [
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
