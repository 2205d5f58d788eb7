from django.urls import path

from ghl import views

# Mounted under webhooks/ first in config/urls.py: a provider's request resolves in two steps.
webhook_urlpatterns = [
    path("ghl/<uuid:workspace_id>/", views.webhook, name="ghl_webhook"),
]

urlpatterns = [
    path(
        "w/<uuid:workspace_id>/integrations/ghl/workflow-secret/",
        views.workflow_secret,
        name="ghl_workflow_secret",
    ),
]
