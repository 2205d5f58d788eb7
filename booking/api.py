"""The booking API: leads, their inbound replies and offers, and appointments, per workspace.

Authentication: the provisioning API's key (``Authorization: Api-Key <key>``), or a signed-in
member of the workspace (session). A workspace the caller may not see is a 404. Views translate
HTTP to service calls and back; bad input is a 400 with a message per field, never a 500.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone
from rest_framework import status
from rest_framework.authentication import SessionAuthentication
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import BasePermission
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_api_key.models import APIKey

from booking import offers
from booking.hosts import hosted_by
from booking.in_flight import attempt_in_flight, refusal
from booking.inbound import receive_message
from booking.message_log import lead_messages
from booking.models import Appointment
from booking.serializers import (
    AppointmentFilterSerializer,
    AppointmentSerializer,
    LeadInputSerializer,
    LeadSerializer,
    MessageInputSerializer,
    MessageSerializer,
    OfferInputSerializer,
    OfferSerializer,
)
from followups import channels
from followups.errors import ProviderError, ProviderNotConnected
from workspaces.access import MEMBERS, SETTERS, roles_in
from workspaces.api.auth import ApiKeyAuthentication
from workspaces.api.pagination import PageSizePagination
from workspaces.api.parsers import LimitedJSONParser
from workspaces.models import Lead, Workspace


class WorkspaceAccess(BasePermission):
    """An API key, or a session user holding one of the view's roles in the workspace."""

    def has_permission(self, request, view):
        workspace = view.workspace  # 404 for an unknown or inactive workspace
        if isinstance(request.auth, APIKey):
            return True
        user = request.user
        if user is None or not user.is_authenticated:
            return False
        held = roles_in(user, workspace)
        if not held:
            raise Http404("No such workspace.")
        return bool(held & view.roles_for(request.method))


class WorkspaceAPIView(APIView):
    # The key first: its 401 challenge is the one a caller without credentials gets.
    authentication_classes = [ApiKeyAuthentication, SessionAuthentication]
    permission_classes = [WorkspaceAccess]
    parser_classes = [LimitedJSONParser]
    renderer_classes = [JSONRenderer]
    read_roles = MEMBERS
    write_roles = MEMBERS

    def roles_for(self, method: str) -> set:
        return self.read_roles if method in ("GET", "HEAD", "OPTIONS") else self.write_roles

    @property
    def workspace(self) -> Workspace:
        if not hasattr(self, "_workspace"):
            self._workspace = get_object_or_404(
                Workspace, public_id=self.kwargs["workspace_id"], is_active=True
            )
        return self._workspace

    def lead(self) -> Lead:
        return get_object_or_404(
            Lead.objects.select_related("workspace"),
            pk=self.kwargs["lead_id"],
            workspace=self.workspace,
        )


def _valid(serializer_class, data):
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


class LeadsView(WorkspaceAPIView):
    """POST: create the lead, or update the one with this e-mail (else phone)."""

    def post(self, request, workspace_id):
        data = _valid(LeadInputSerializer, request.data)
        lead, created = upsert_lead(workspace=self.workspace, data=data)
        code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
        return Response(LeadSerializer(lead).data, status=code)


class LeadMessagesView(WorkspaceAPIView):
    """GET: the lead's messages both ways, newest first (paginated). POST: an inbound reply from
    the lead. A repeated provider_message_id is stored once (201 the first time, 200 with the
    stored message after)."""

    def get(self, request, workspace_id, lead_id):
        paginator = PageSizePagination()
        page = paginator.paginate_queryset(lead_messages(self.lead()), request, view=self)
        return paginator.get_paginated_response(page)

    def post(self, request, workspace_id, lead_id):
        data = _valid(MessageInputSerializer, request.data)
        message, created = receive_message(
            lead=self.lead(),
            channel=data["channel"],
            body=data["body"],
            received_at=data.get("received_at") or timezone.now(),
            provider="api",
            provider_message_id=data.get("provider_message_id", ""),
        )
        code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
        return Response(MessageSerializer(message).data, status=code)


class LeadOffersView(WorkspaceAPIView):
    """POST: make an offer of free times (and send it to the lead when ``send`` is true)."""

    write_roles = SETTERS

    def post(self, request, workspace_id, lead_id):
        data = _valid(OfferInputSerializer, request.data)
        lead = self.lead()
        # A booking that may still land comes first: no new offer while it might.
        if (flying := attempt_in_flight(lead)) is not None:
            return Response({"detail": refusal(flying)}, status=status.HTTP_409_CONFLICT)
        unreachable = channels.refusal(lead.workspace) if data["send"] else ""
        if unreachable:
            return Response({"detail": unreachable}, status=status.HTTP_409_CONFLICT)
        try:
            offer = offers.offer_times(lead=lead, count=data["count"])
        except offers.OfferError as exc:
            return Response({"detail": exc.safe_message}, status=status.HTTP_409_CONFLICT)
        except ProviderNotConnected as exc:
            return Response({"detail": exc.safe_message}, status=status.HTTP_409_CONFLICT)
        except ProviderError as exc:
            return Response({"detail": exc.safe_message}, status=503)
        if data["send"]:
            offers.send_offer(
                offer=offer, channel=data.get("channel") or offers.default_channel(lead)
            )
        offer = type(offer).objects.prefetch_related("slots__offer").get(pk=offer.pk)
        return Response(OfferSerializer(offer).data, status=status.HTTP_201_CREATED)


class AppointmentsView(WorkspaceAPIView):
    """GET: the workspace's appointments, filtered by status, provider, start (from/to) and
    host (``host=<e-mail>``)."""

    def get(self, request, workspace_id):
        filters = _valid(AppointmentFilterSerializer, request.query_params)
        qs = Appointment.objects.filter(workspace=self.workspace).order_by("start_at", "id")
        if filters.get("status"):
            qs = qs.filter(status=filters["status"])
        if filters.get("provider"):
            qs = qs.filter(provider=filters["provider"])
        if filters.get("from"):
            qs = qs.filter(start_at__gte=filters["from"])
        if filters.get("to"):
            qs = qs.filter(start_at__lte=filters["to"])
        if filters.get("host"):
            qs = hosted_by(qs, filters["host"])
        paginator = PageSizePagination()
        page = paginator.paginate_queryset(qs, request, view=self)
        return paginator.get_paginated_response(AppointmentSerializer(page, many=True).data)


# --- the lead upsert ------------------------------------------------------------------------

_UPDATABLE = ("first_name", "last_name", "email", "phone", "timezone")


def upsert_lead(*, workspace: Workspace, data: dict) -> tuple[Lead, bool]:
    """Create the lead or update the one matching the e-mail (then the phone). A concurrent
    create is settled by the lead unique constraints: the loser updates the winner's row."""
    for _ in range(2):
        try:
            with transaction.atomic():
                return _upsert_once(workspace, data)
        except IntegrityError:
            continue
    raise ValidationError(_collision(workspace, data))


def _upsert_once(workspace: Workspace, data: dict) -> tuple[Lead, bool]:
    lead = _match(workspace, email=data.get("email"), phone=data.get("phone"))
    if lead is None:
        fields = {name: data[name] for name in _UPDATABLE if data.get(name)}
        return Lead.objects.create(workspace=workspace, source="api", **fields), True
    changed = [name for name in _UPDATABLE if data.get(name) and getattr(lead, name) != data[name]]
    for name in changed:
        setattr(lead, name, data[name])
    if changed:
        lead.save(update_fields=[*changed, "updated_at"])
    return lead, False


def _match(workspace, *, email, phone) -> Lead | None:
    leads = Lead.objects.select_for_update().filter(workspace=workspace)
    found = leads.filter(email=email).first() if email else None
    if found is None and phone:
        found = leads.filter(phone=phone).first()
    return found


def _collision(workspace, data) -> dict:
    message = "Another lead in this workspace already has this {}."
    if data.get("phone") and Lead.objects.filter(workspace=workspace, phone=data["phone"]).exists():
        return {"phone": [message.format("phone number")]}
    return {"email": [message.format("e-mail address")]}
