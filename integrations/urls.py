from django.urls import path

from integrations import api, delivery_views, views
from integrations.email import views as email_views
from integrations.email.unsubscribe import unsubscribe_view

W = "w/<uuid:workspace_id>/integrations/"

# Mounted under webhooks/ first in config/urls.py: a provider's request resolves in two steps.
webhook_urlpatterns = [
    path("email/<uuid:workspace_id>/", email_views.inbound, name="email_inbound"),
]

urlpatterns = [
    path(W, views.integrations_tab, name="integrations_tab"),
    path(f"{W}booking-provider/", views.booking_provider, name="integrations_booking_provider"),
    path(f"{W}auto-book/", views.auto_book, name="integrations_auto_book"),
    path(f"{W}deliveries/", views.deliveries, name="integrations_deliveries"),
    path(
        f"{W}deliveries/<int:delivery_id>/replay/",
        views.replay,
        name="integrations_replay",
    ),
    path(
        f"{W}deliveries/<int:delivery_id>/payload/",
        delivery_views.delivery_payload,
        name="integrations_delivery_payload",
    ),
    path(f"{W}<slug:provider>/connect/", views.connect, name="integrations_connect"),
    path(f"{W}<slug:provider>/disconnect/", views.disconnect, name="integrations_disconnect"),
    path(f"{W}<slug:provider>/check/", views.check, name="integrations_check"),
    path(f"{W}<slug:provider>/sync/", views.sync, name="integrations_sync"),
    path(
        f"{W}<slug:provider>/test-event/",
        views.send_test_event,
        name="integrations_test_event",
    ),
    path(
        f"{W}<slug:provider>/rotate-secret/",
        views.rotate_secret,
        name="integrations_rotate_secret",
    ),
    path(f"{W}messaging-channel/", views.messaging_channel, name="integrations_messaging_channel"),
    path("u/<str:token>/", unsubscribe_view, name="email_unsubscribe"),
    path(
        "api/admin/workspaces/<uuid:workspace_id>/integrations/<slug:provider>",
        api.WorkspaceIntegration.as_view(),
        name="api_workspace_integration",
    ),
]
