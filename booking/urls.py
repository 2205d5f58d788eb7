from django.urls import path

from booking import api, views, week_view

API = "api/workspaces/<uuid:workspace_id>"

urlpatterns = [
    path("w/<uuid:workspace_id>/appointments/", views.appointment_list, name="appointment_list"),
    path(
        "w/<uuid:workspace_id>/appointments/week/",
        week_view.appointment_week,
        name="appointment_week",
    ),
    path("w/<uuid:workspace_id>/leads/<int:lead_id>/", views.lead_detail, name="lead_detail"),
    path(
        "w/<uuid:workspace_id>/leads/<int:lead_id>/offer",
        views.lead_make_offer,
        name="lead_make_offer",
    ),
    path(
        "w/<uuid:workspace_id>/leads/<int:lead_id>/slots/<int:slot_id>/book",
        views.lead_book_slot,
        name="lead_book_slot",
    ),
    path(
        "w/<uuid:workspace_id>/leads/<int:lead_id>/replies",
        views.lead_log_reply,
        name="lead_log_reply",
    ),
    path(
        "w/<uuid:workspace_id>/leads/<int:lead_id>/tasks",
        views.lead_add_task,
        name="lead_add_task",
    ),
    path(
        "w/<uuid:workspace_id>/leads/<int:lead_id>/opt-out",
        views.lead_opt_out,
        name="lead_opt_out",
    ),
    path(
        "w/<uuid:workspace_id>/tasks/<int:task_id>/book",
        views.task_book_suggestion,
        name="task_book_suggestion",
    ),
    # The booking API (no trailing slashes).
    path(f"{API}/leads", api.LeadsView.as_view(), name="api_leads"),
    path(
        f"{API}/leads/<int:lead_id>/messages",
        api.LeadMessagesView.as_view(),
        name="api_lead_messages",
    ),
    path(f"{API}/leads/<int:lead_id>/offers", api.LeadOffersView.as_view(), name="api_lead_offers"),
    path(f"{API}/appointments", api.AppointmentsView.as_view(), name="api_appointments"),
]
