"""Every workspace starts with a sensible set of sequences."""

import importlib

import pytest
from django.apps import apps

from followups.models import Sequence
from tests.factories import WorkspaceFactory

pytestmark = pytest.mark.django_db


def summary(workspace):
    return {
        s.trigger: [(step.delay_minutes, step.channel) for step in s.steps.all()]
        for s in Sequence.objects.filter(workspace=workspace).prefetch_related("steps")
    }


DEFAULT_SET = {
    "no_response": [(24 * 60, "sms"), (3 * 24 * 60, "sms")],
    "post_booking": [(-24 * 60, "sms"), (-60, "sms")],
    "no_show": [(15, "sms"), (24 * 60, "task")],
    "rebook": [(60, "sms")],
}


def test_a_new_workspace_gets_the_default_sequences():
    workspace = WorkspaceFactory()
    assert summary(workspace) == DEFAULT_SET
    assert all(s.is_active for s in Sequence.objects.filter(workspace=workspace))


def test_saving_a_workspace_again_adds_nothing():
    workspace = WorkspaceFactory()
    workspace.name = "Renamed"
    workspace.save()
    assert Sequence.objects.filter(workspace=workspace).count() == 4


def test_the_data_migration_gives_existing_workspaces_the_defaults():
    workspace = WorkspaceFactory()
    Sequence.objects.filter(workspace=workspace).delete()  # as before the engine existed
    migration = importlib.import_module("followups.migrations.0002_default_sequences")

    migration.install(apps, None)
    migration.install(apps, None)  # and a second run changes nothing

    assert summary(workspace) == DEFAULT_SET


def test_the_default_templates_pass_the_placeholder_check():
    from followups import templating

    for sequence in Sequence.objects.filter(workspace=WorkspaceFactory()):
        allowed = templating.allowed_for(sequence.trigger)
        for step in sequence.steps.all():
            assert templating.check(step.body, allowed=allowed) == ""
            assert templating.check(step.subject, allowed=allowed) == ""
