"""The Tasks page (every member) and the Sequences pages (workspace admins). Views translate
HTTP to service calls and back; every POST redirects, or re-renders its form with the errors."""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from followups import authoring, selectors, services, templating
from followups.forms import SequenceForm, StepForm, StepMoveForm, TaskStateForm
from followups.models import Sequence, Step, Task
from followups.presenters import ANCHOR_NOUNS, describe_delay
from workspaces.access import ADMINS, MEMBERS, workspace_view
from workspaces.formatting import zone_named

PAGE_SIZE = 50
OVERDUE_AFTER = timedelta(hours=1)


# --- tasks ----------------------------------------------------------------------------------


@workspace_view(roles=MEMBERS)
def task_list(request):
    workspace = request.workspace
    show = Task.State.DONE if request.GET.get("show") == "done" else Task.State.OPEN
    kind = request.GET.get("kind", "")
    if kind not in Task.Kind.values:
        kind = ""
    tasks = selectors.tasks_of(workspace=workspace, state=show, kind=kind)
    return render(
        request,
        "followups/task_list.html",
        {
            "page": Paginator(tasks, PAGE_SIZE).get_page(request.GET.get("page")),
            "show": show,
            "kind": kind,
            "kinds": Task.Kind.choices,
            "counts": selectors.task_counts(workspace=workspace),
            "tz": zone_named(workspace.timezone),
            # A task opened a minute ago is due, not overdue.
            "overdue_before": timezone.now() - OVERDUE_AFTER,
        },
    )


@workspace_view(roles=MEMBERS)
@require_POST
def task_state(request, task_id):
    task = get_object_or_404(Task, pk=task_id, workspace=request.workspace)
    form = TaskStateForm(request.POST)
    if not form.is_valid():
        return HttpResponseBadRequest("Say which state the task should have: done or open.")
    wanted = form.cleaned_data["state"]
    changed = services.set_task_state(task=task, state=wanted, user=request.user)
    if changed:
        done = wanted == Task.State.DONE
        messages.success(request, f"“{task.title}” is {'done' if done else 'open again'}.")
    else:
        messages.info(request, f"“{task.title}” was already {task.get_state_display().lower()}.")
    back = reverse("task_list", args=[request.workspace.public_id])
    if request.POST.get("show") == "done":
        back += "?show=done"
    return redirect(back)


# --- sequences ------------------------------------------------------------------------------


@workspace_view(roles=ADMINS)
def sequence_list(request):
    return render(
        request,
        "followups/sequence_list.html",
        {"sequences": selectors.sequences_of(workspace=request.workspace)},
    )


@workspace_view(roles=ADMINS)
def sequence_create(request):
    form = SequenceForm(_posted(request), workspace=request.workspace)
    if request.method == "POST" and form.is_valid():
        sequence = authoring.save_sequence(sequence=form.save(commit=False), actor=request.user)
        messages.success(request, f"“{sequence.name}” is created: add its steps below.")
        return _to_sequence(sequence)
    return render(request, "followups/sequence_form.html", {"form": form}, status=_status(form))


@workspace_view(roles=ADMINS)
def sequence_detail(request, sequence_id):
    sequence = _sequence(request, sequence_id)
    form = SequenceForm(_posted(request), instance=sequence, workspace=request.workspace)
    if request.method == "POST":
        if form.is_valid():
            authoring.save_sequence(sequence=form.save(commit=False), actor=request.user)
            messages.success(request, f"“{sequence.name}” is saved.")
            return _to_sequence(sequence)
        sequence.refresh_from_db()  # the header shows what is stored, not the refused input
    return _render_detail(request, sequence, form=form)


@workspace_view(roles=ADMINS)
@require_POST
def step_create(request, sequence_id):
    sequence = _sequence(request, sequence_id)
    step_form = StepForm(request.POST, sequence=sequence)
    if step_form.is_valid():
        authoring.save_step(step=step_form.save(commit=False), actor=request.user)
        messages.success(request, "Step added. Steps are kept in the order they go out.")
        return _to_sequence(sequence, anchor="steps")
    return _render_detail(request, sequence, step_form=step_form)


@workspace_view(roles=ADMINS)
def step_edit(request, sequence_id, step_id):
    sequence = _sequence(request, sequence_id)
    step = get_object_or_404(Step, pk=step_id, sequence=sequence)
    form = StepForm(_posted(request), instance=step, sequence=sequence)
    if request.method == "POST" and form.is_valid():
        authoring.save_step(step=form.save(commit=False), actor=request.user)
        messages.success(request, "Step saved. Steps are kept in the order they go out.")
        return _to_sequence(sequence, anchor="steps")
    return render(
        request,
        "followups/step_form.html",
        {"sequence": sequence, "step": step, "form": form, **_placeholders(sequence)},
        status=_status(form),
    )


@workspace_view(roles=ADMINS)
@require_POST
def step_delete(request, sequence_id, step_id):
    sequence = _sequence(request, sequence_id)
    _refuse_if_elsewhere(sequence, step_id)
    if authoring.delete_step(sequence=sequence, step_id=step_id, actor=request.user):
        messages.success(request, "Step deleted.")
    else:
        messages.info(request, "That step was already deleted.")
    return _to_sequence(sequence, anchor="steps")


@workspace_view(roles=ADMINS)
@require_POST
def step_move(request, sequence_id, step_id):
    sequence = _sequence(request, sequence_id)
    form = StepMoveForm(request.POST)
    if not form.is_valid():
        return HttpResponseBadRequest("Say where the step should go: a position from 1.")
    _refuse_if_elsewhere(sequence, step_id)
    step = Step.objects.filter(pk=step_id, sequence=sequence).first()
    if step is None:
        messages.info(request, "That step was deleted meanwhile.")
    elif authoring.move_step(step=step, position=form.cleaned_data["position"], actor=request.user):
        messages.success(request, "Step moved: it traded places, and times, with its neighbour.")
    return _to_sequence(sequence, anchor="steps")


# --- helpers --------------------------------------------------------------------------------


def _posted(request):
    return request.POST if request.method == "POST" else None


def _sequence(request, sequence_id) -> Sequence:
    return get_object_or_404(Sequence, pk=sequence_id, workspace=request.workspace)


def _refuse_if_elsewhere(sequence: Sequence, step_id: int) -> None:
    """A step of another sequence is a 404; one deleted meanwhile is a harmless second click."""
    elsewhere = Step.objects.filter(pk=step_id).exclude(sequence=sequence)
    if elsewhere.exists():
        raise Http404("No such step in this sequence.")


def _to_sequence(sequence: Sequence, anchor: str = ""):
    url = reverse("sequence_detail", args=[sequence.workspace.public_id, sequence.pk])
    return redirect(f"{url}#{anchor}" if anchor else url)


def _status(*forms) -> int:
    """A form sent back with its errors is a 400: the page still shows them inline."""
    return 400 if any(f is not None and f.is_bound and f.errors for f in forms) else 200


def _render_detail(request, sequence, *, form=None, step_form=None):
    steps = list(sequence.steps.order_by("position", "id"))
    rows = [{"step": s, "when": describe_delay(s.delay_minutes, sequence.trigger)} for s in steps]
    return render(
        request,
        "followups/sequence_detail.html",
        {
            "sequence": sequence,
            "form": form or SequenceForm(instance=sequence, workspace=request.workspace),
            "step_form": step_form or StepForm(sequence=sequence),
            "rows": rows,
            "step_count": len(steps),
            "enrolled": selectors.live_enrollments(sequence=sequence),
            "tz": zone_named(request.workspace.timezone),
            **_placeholders(sequence),
        },
        status=_status(form, step_form),
    )


def _placeholders(sequence: Sequence) -> dict:
    return {
        "placeholders": templating.allowed_for(sequence.trigger).items(),
        "anchor_label": ANCHOR_NOUNS.get(sequence.trigger, "the trigger"),
    }
