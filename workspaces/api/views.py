"""The admin provisioning API: HTTP in, a provisioning call, the workspace out."""

from django.core.exceptions import RequestDataTooBig
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, status
from rest_framework.exceptions import ValidationError
from rest_framework.generics import GenericAPIView
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from workspaces import provisioning
from workspaces.api import selectors
from workspaces.api.auth import ApiKeyAuthentication, HasApiKey, actor_label
from workspaces.api.errors import PayloadTooLarge
from workspaces.api.parsers import LimitedJSONParser
from workspaces.api.serializers import (
    ErrorSerializer,
    WorkspaceCreateSerializer,
    WorkspaceListQuerySerializer,
    WorkspaceSerializer,
    WorkspaceUpdateSerializer,
)
from workspaces.messaging import ChannelNotConnected

_ERRORS = {
    400: OpenApiResponse(OpenApiTypes.OBJECT, description="Invalid input: messages per field."),
    401: OpenApiResponse(ErrorSerializer, description="Missing, invalid or revoked API key."),
    413: OpenApiResponse(ErrorSerializer, description="Body over 1 MiB."),
}
_NOT_FOUND = {404: OpenApiResponse(ErrorSerializer, description="No workspace with this id.")}


class AdminApiView(GenericAPIView):
    """Base for /api/admin/ views: API-key auth (401 without one), JSON only."""

    authentication_classes = [ApiKeyAuthentication]
    permission_classes = [HasApiKey]
    parser_classes = [LimitedJSONParser]
    renderer_classes = [JSONRenderer]

    def handle_exception(self, exc):
        if isinstance(exc, RequestDataTooBig):
            exc = PayloadTooLarge()
        return super().handle_exception(exc)


class WorkspaceCollectionView(mixins.ListModelMixin, AdminApiView):
    serializer_class = WorkspaceSerializer

    def get_queryset(self):
        query = WorkspaceListQuerySerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        return selectors.workspaces_with_members(
            external_id=query.validated_data.get("external_id")
        )

    @extend_schema(
        operation_id="list_workspaces",
        summary="List workspaces",
        parameters=[
            OpenApiParameter("external_id", str, description="Only the workspace with this id.")
        ],
        responses={
            200: WorkspaceSerializer(many=True),
            **_ERRORS,
            404: OpenApiResponse(ErrorSerializer, description="No such page."),
        },
    )
    def get(self, request):
        return self.list(request)

    @extend_schema(
        operation_id="provision_workspace",
        summary="Create a workspace, or update the one with this external_id",
        request=WorkspaceCreateSerializer,
        responses={
            200: OpenApiResponse(WorkspaceSerializer, description="Updated (external_id known)."),
            201: OpenApiResponse(WorkspaceSerializer, description="Created."),
            **_ERRORS,
        },
    )
    def post(self, request):
        payload = _validated(WorkspaceCreateSerializer, request.data)
        try:
            workspace, created = provisioning.provision_workspace(
                data=payload, actor_label=actor_label(request)
            )
        except ChannelNotConnected as exc:
            raise ValidationError({"messaging_channel": [exc.reason]}) from None
        return _workspace_response(workspace, status.HTTP_201_CREATED if created else 200)


class WorkspaceDetailView(AdminApiView):
    serializer_class = WorkspaceSerializer

    def get_object(self):
        return get_object_or_404(selectors.workspaces_with_members(), public_id=self.kwargs["id"])

    @extend_schema(
        operation_id="get_workspace",
        summary="Get a workspace",
        responses={200: WorkspaceSerializer, **_ERRORS, **_NOT_FOUND},
    )
    def get(self, request, id):
        return _workspace_response(self.get_object())

    @extend_schema(
        operation_id="update_workspace",
        summary="Change some of a workspace's settings or member lists",
        request=WorkspaceUpdateSerializer,
        responses={200: WorkspaceSerializer, **_ERRORS, **_NOT_FOUND},
    )
    def patch(self, request, id):
        workspace = self.get_object()
        payload = _validated(WorkspaceUpdateSerializer, request.data)
        try:
            workspace = provisioning.update_workspace(
                workspace=workspace, data=payload, actor_label=actor_label(request)
            )
        except ChannelNotConnected as exc:
            raise ValidationError({"messaging_channel": [exc.reason]}) from None
        except provisioning.ExternalIdTaken:
            raise ValidationError(
                {"external_id": ["Another workspace already has this external_id."]}
            ) from None
        return _workspace_response(workspace)

    @extend_schema(
        operation_id="deactivate_workspace",
        summary="Deactivate a workspace (its members lose access; its data is kept)",
        responses={200: WorkspaceSerializer, **_ERRORS, **_NOT_FOUND},
    )
    def delete(self, request, id):
        workspace = provisioning.deactivate_workspace(
            workspace=self.get_object(), actor_label=actor_label(request)
        )
        return _workspace_response(workspace)


def _validated(serializer_class, data) -> dict:
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def _workspace_response(workspace, status_code=200) -> Response:
    # Re-read with the members prefetched: the answer shows what was committed.
    fresh = selectors.workspaces_with_members().get(pk=workspace.pk)
    return Response(WorkspaceSerializer(fresh).data, status=status_code)
