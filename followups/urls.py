from django.urls import path

from followups import views

W = "w/<uuid:workspace_id>"
S = f"{W}/sequences/<int:sequence_id>"

urlpatterns = [
    path(f"{W}/tasks/", views.task_list, name="task_list"),
    path(f"{W}/tasks/<int:task_id>/state/", views.task_state, name="task_state"),
    path(f"{W}/sequences/", views.sequence_list, name="sequence_list"),
    path(f"{W}/sequences/new/", views.sequence_create, name="sequence_create"),
    path(f"{S}/", views.sequence_detail, name="sequence_detail"),
    path(f"{S}/steps/new/", views.step_create, name="step_create"),
    path(f"{S}/steps/<int:step_id>/", views.step_edit, name="step_edit"),
    path(f"{S}/steps/<int:step_id>/delete/", views.step_delete, name="step_delete"),
    path(f"{S}/steps/<int:step_id>/move/", views.step_move, name="step_move"),
]
