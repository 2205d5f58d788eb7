from django.urls import path

from ghl import views

urlpatterns = [
    path("webhooks/ghl/<uuid:workspace_id>/", views.webhook, name="ghl_webhook"),
    path(
        "w/<uuid:workspace_id>/integrations/ghl/workflow-secret/",
        views.workflow_secret,
        name="ghl_workflow_secret",
    ),
]
