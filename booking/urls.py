from django.urls import path

from booking import views

urlpatterns = [
    path("w/<uuid:workspace_id>/appointments/", views.appointment_list, name="appointment_list"),
    path("w/<uuid:workspace_id>/leads/<int:lead_id>/", views.lead_detail, name="lead_detail"),
]
