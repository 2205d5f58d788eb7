from django.urls import path

from ghl import views

urlpatterns = [
    path("webhooks/ghl/<uuid:workspace_id>/", views.webhook, name="ghl_webhook"),
]
