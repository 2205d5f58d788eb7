import factory
from django.contrib.auth import get_user_model

from booking.models import Appointment
from workspaces.models import Lead, Membership, Workspace


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    email = factory.Sequence(lambda n: f"user{n}@agency.example")
    username = factory.SelfAttribute("email")
    password = factory.django.Password("correct horse battery")


class WorkspaceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Workspace

    name = factory.Sequence(lambda n: f"Client {n}")
    timezone = "America/New_York"


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    workspace = factory.SubFactory(WorkspaceFactory)
    role = Membership.Role.SETTER


class LeadFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Lead

    workspace = factory.SubFactory(WorkspaceFactory)
    first_name = "Jordan"
    last_name = factory.Sequence(lambda n: f"Lee{n}")
    email = factory.Sequence(lambda n: f"lead{n}@example.com")
    timezone = "America/Chicago"
    status = Lead.Status.QUALIFIED


class AppointmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Appointment

    workspace = factory.SelfAttribute("lead.workspace")
    lead = factory.SubFactory(LeadFactory)
    provider = "ghl"
    external_id = factory.Sequence(lambda n: f"appt-{n}")
    start_at = factory.Faker("future_datetime", tzinfo=__import__("datetime").timezone.utc)
    status = Appointment.Status.BOOKED
    source = Appointment.Source.WEBHOOK


# --- follow-ups ---------------------------------------------------------------------------------
# (Every new workspace already has the default sequences: followups.defaults.)


class SequenceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "followups.Sequence"

    workspace = factory.SubFactory(WorkspaceFactory)
    name = factory.Sequence(lambda n: f"Sequence {n}")
    trigger = "no_response"
    is_active = True


class StepFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "followups.Step"

    sequence = factory.SubFactory(SequenceFactory)
    position = factory.Sequence(lambda n: n + 1)
    delay_minutes = 60
    channel = "sms"
    body = "Hi {first_name}, any news?"


class TaskFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "followups.Task"

    workspace = factory.SelfAttribute("lead.workspace")
    lead = factory.SubFactory(LeadFactory)
    kind = "manual"
    title = factory.Sequence(lambda n: f"Call the lead back ({n})")
