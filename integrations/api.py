"""``GET/PUT/DELETE /api/admin/workspaces/<id>/integrations/<provider>``: the admin API's view of
one provider connection, dispatching to the provider's own hooks. Answers never hold a secret."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import status as http
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from followups.errors import ProviderError
from integrations import provider_actions
from integrations.providers import find_spec
from workspaces.api.auth import ApiKeyAuthentication, HasApiKey, actor_label
from workspaces.api.parsers import LimitedJSONParser
from workspaces.models import Workspace


def _errors(exc: ProviderError, fields) -> dict:
    name = provider_actions.error_field(exc, fields) or "non_field_errors"
    return {name: [exc.safe_message]}


def _form_errors(form) -> dict:
    errors = {k: [e["message"] for e in v] for k, v in form.errors.get_json_data().items()}
    if "__all__" in errors:
        errors["non_field_errors"] = errors.pop("__all__")
    return errors


class WorkspaceIntegration(APIView):
    # The provisioning API's key and its answers: 401 with a challenge without a valid key.
    authentication_classes = [ApiKeyAuthentication]
    permission_classes = [HasApiKey]
    parser_classes = [LimitedJSONParser]

    def _resolve(self, workspace_id, provider):
        workspace = Workspace.objects.filter(public_id=workspace_id).first()
        spec = find_spec(provider)
        if workspace is None or spec is None:
            raise NotFound("No such workspace or provider.")
        return workspace, spec

    def _status(self, spec, workspace) -> dict:
        return provider_actions.provider_status(spec=spec, workspace=workspace)

    @extend_schema(responses={200: OpenApiTypes.OBJECT, 404: OpenApiTypes.OBJECT})
    def get(self, request, workspace_id, provider):
        workspace, spec = self._resolve(workspace_id, provider)
        return Response(self._status(spec, workspace))

    @extend_schema(
        request=OpenApiTypes.OBJECT,
        responses={200: OpenApiTypes.OBJECT, 400: OpenApiTypes.OBJECT, 404: OpenApiTypes.OBJECT},
    )
    def put(self, request, workspace_id, provider):
        workspace, spec = self._resolve(workspace_id, provider)
        if not provider_actions.can_connect(spec, api=True):
            message = f"{spec.label} cannot be connected through the API."
            return Response({"non_field_errors": [message]}, status=http.HTTP_400_BAD_REQUEST)
        if not isinstance(request.data, dict):
            message = "Send a JSON object with the provider's settings."
            return Response({"non_field_errors": [message]}, status=http.HTTP_400_BAD_REQUEST)
        form = spec.settings_form(data=request.data)
        if not form.is_valid():
            return Response(_form_errors(form), status=http.HTTP_400_BAD_REQUEST)
        try:
            revealed = provider_actions.connect_provider(
                spec=spec,
                workspace=workspace,
                data=form.cleaned_data,
                actor_label=actor_label(request),
                api=True,
            )
        except ProviderError as exc:
            code = http.HTTP_400_BAD_REQUEST if exc.permanent else http.HTTP_503_SERVICE_UNAVAILABLE
            return Response(_errors(exc, form.fields), status=code)
        # A secret made by this call (the e-mail channel's inbound_secret...) is answered once.
        once = revealed if isinstance(revealed, dict) else {}
        return Response({**self._status(spec, workspace), **once})

    @extend_schema(responses={200: OpenApiTypes.OBJECT, 404: OpenApiTypes.OBJECT})
    def delete(self, request, workspace_id, provider):
        workspace, spec = self._resolve(workspace_id, provider)
        provider_actions.disconnect_provider(
            spec=spec, workspace=workspace, actor_label=actor_label(request)
        )
        return Response(self._status(spec, workspace))
