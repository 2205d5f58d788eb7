from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.permissions import AllowAny

from workspaces.api import views

# The schema and its page describe the API and hold no data: readable without a key.
_public = {"authentication_classes": [], "permission_classes": [AllowAny]}

urlpatterns = [
    path("admin/workspaces", views.WorkspaceCollectionView.as_view(), name="api_workspaces"),
    path(
        "admin/workspaces/<uuid:id>",
        views.WorkspaceDetailView.as_view(),
        name="api_workspace_detail",
    ),
    path("schema/", SpectacularAPIView.as_view(**_public), name="api_schema"),
    path(
        "docs/",
        # The split view serves its start-up script as a file: no inline script under the CSP.
        SpectacularSwaggerSplitView.as_view(url_name="api_schema", **_public),
        name="api_docs",
    ),
]
