from django.urls import path

from calendly import views

W = "w/<uuid:workspace_id>/integrations/calendly/"

# Mounted under webhooks/ first in config/urls.py: a provider's request resolves in two steps.
webhook_urlpatterns = [
    path("calendly/<uuid:workspace_id>/", views.webhook, name="calendly_webhook"),
]

urlpatterns = [
    path(f"{W}oauth/", views.oauth_start, name="calendly_oauth_start"),
    path(
        "integrations/calendly/oauth/callback/",
        views.oauth_callback,
        name="calendly_oauth_callback",
    ),
    path(
        f"{W}subscription/repair/",
        views.repair_subscription,
        name="calendly_repair_subscription",
    ),
    path(f"{W}disable/", views.disable, name="calendly_disable"),
]
