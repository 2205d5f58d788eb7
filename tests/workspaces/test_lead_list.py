"""The leads list as a setter pages and searches it: "Older" and "Newer" walk every lead exactly
once, however many share an ``updated_at``; the search finds part of a name, an e-mail or a
phone number as typed; an old or edited link is the first page, never an error; and a page
costs the same statements for 3 leads or 80. On PostgreSQL the search and the order are index
scans (checked on the plan, which does not depend on the machine's speed)."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests.factories import LeadFactory, MembershipFactory
from workspaces import keyset
from workspaces.lead_list import PAGE_SIZE, search
from workspaces.models import Lead

pytestmark = pytest.mark.django_db
LINK = re.compile(r'href="\?([^"]*(?:after|before)=[^"]*)">([^<]+)</a>')


@pytest.fixture
def setter(client, workspace):
    client.force_login(MembershipFactory(workspace=workspace, role="setter").user)
    return client


def url(workspace, query=""):
    return reverse("lead_list", args=[workspace.public_id]) + (f"?{query}" if query else "")


def links(response) -> dict[str, str]:
    """The pager's links by their words ("Older →": "after=…")."""
    html = response.content.decode()
    return {text.strip(): href.replace("&amp;", "&") for href, text in LINK.findall(html)}


def names(response) -> list[str]:
    return [lead.last_name for lead in response.context["page"].object_list]


def make_leads(workspace, n, *, same_time=False):
    leads = [LeadFactory(workspace=workspace) for _ in range(n)]
    if same_time:  # a bulk import: every row updated in the same instant
        Lead.objects.filter(workspace=workspace).update(updated_at=timezone.now())
    return leads


@pytest.mark.parametrize("same_time", [False, True])
def test_older_then_newer_walk_every_lead_exactly_once(setter, workspace, same_time):
    make_leads(workspace, 2 * PAGE_SIZE + 7, same_time=same_time)
    expected = list(
        Lead.objects.filter(workspace=workspace)
        .order_by("-updated_at", "-id")
        .values_list("last_name", flat=True)
    )
    pages = [setter.get(url(workspace))]
    while "Older →" in links(pages[-1]):
        pages.append(setter.get(url(workspace, links(pages[-1])["Older →"])))
    forward = [name for page in pages for name in names(page)]
    assert forward == expected  # all of them, once each, in order
    assert [len(names(p)) for p in pages] == [PAGE_SIZE, PAGE_SIZE, 7]
    assert "← Newer" not in links(pages[0])

    back = [pages[-1]]
    while "← Newer" in links(back[-1]):
        back.append(setter.get(url(workspace, links(back[-1])["← Newer"])))
    assert [names(p) for p in back] == [names(p) for p in reversed(pages)]


def test_a_lead_updated_while_paging_is_neither_lost_nor_an_error(setter, workspace):
    leads = make_leads(workspace, PAGE_SIZE + 5)
    first = setter.get(url(workspace))
    older = links(first)["Older →"]
    leads[0].save()  # the oldest is edited: it moves to the top, off the next page
    second = setter.get(url(workspace, older))
    assert second.status_code == 200
    assert leads[0].last_name not in names(second)
    assert leads[0].last_name == names(setter.get(url(workspace)))[0]


@pytest.mark.parametrize(
    "query",
    [
        "page=1000",  # an old paginator link
        "page=abc",
        "after=garbage",
        "before=12.x",
        "after=99999999999999999.1",  # past any datetime
        "after=1.1",  # before every lead: nothing older, so the first page
        "before=" + "9" * 18 + ".1",
        "after=-5.3&before=",
    ],
)
def test_an_old_or_edited_link_shows_the_first_page(setter, workspace, query):
    make_leads(workspace, PAGE_SIZE + 2)
    first = names(setter.get(url(workspace)))
    response = setter.get(url(workspace, query))
    assert response.status_code == 200
    assert names(response) == first


@pytest.mark.parametrize(
    "typed",
    [
        "ann",
        "ANNIE SMI",
        "nie smith",
        "SMITH",
        "annie.s@Example",
        "312",
        "(312) 555-0142",
        "5550142",
    ],
)
def test_search_finds_part_of_a_name_an_email_or_a_phone_number(setter, workspace, typed):
    LeadFactory(
        workspace=workspace,
        first_name="Annie",
        last_name="Smith",
        email="annie.s@example.com",
        phone="+13125550142",
    )
    LeadFactory(
        workspace=workspace,
        first_name="Bo",
        last_name="Berg",
        email="bo@berg.example",
        phone="+14155550199",
    )
    response = setter.get(url(workspace, f"q={typed}"))
    assert names(response) == ["Smith"]


def test_search_finds_nothing_else_and_keeps_paging_within_the_results(setter, workspace):
    for n in range(PAGE_SIZE + 3):
        LeadFactory(workspace=workspace, first_name="Casey", last_name=f"Match{n}")
    make_leads(workspace, 10)
    first = setter.get(url(workspace, "q=casey"))
    assert "q=casey" in links(first)["Older →"]
    second = setter.get(url(workspace, links(first)["Older →"]))
    found = names(first) + names(second)
    assert len(found) == len(set(found)) == PAGE_SIZE + 3
    assert all(name.startswith("Match") for name in found)
    assert "No leads match" in setter.get(url(workspace, "q=nobody-at-all")).content.decode()


def test_another_workspace_leads_never_show(setter, workspace):
    LeadFactory(last_name="Elsewhere")  # its own workspace
    LeadFactory(workspace=workspace, last_name="Here")
    assert names(setter.get(url(workspace, "q=e"))) == ["Here"]


def test_a_page_costs_the_same_statements_for_3_leads_or_80(
    setter, workspace, django_assert_max_num_queries
):
    make_leads(workspace, 3)
    with CaptureQueriesContext(connection) as few:
        setter.get(url(workspace))
    statements = len(few.captured_queries)
    assert statements <= 7  # session, user, workspace, roles, the page, the nav's workspaces
    make_leads(workspace, 77)
    for query in ("", "q=jordan", "status=qualified", "page=3"):
        with django_assert_max_num_queries(statements):
            assert setter.get(url(workspace, query)).status_code == 200
    older = links(setter.get(url(workspace)))["Older →"]
    newer = links(setter.get(url(workspace, older)))["← Newer"]
    for query in (older, newer):  # "Newer" back to the top reads twice: the first page again
        with django_assert_max_num_queries(statements + 1):
            setter.get(url(workspace, query))


@pytest.mark.skipif(connection.vendor != "postgresql", reason="pg_trgm is PostgreSQL's")
@pytest.mark.parametrize(
    ("typed", "index"),
    [
        ("Number 42", "lead_name_trgm"),
        ("lead42@", "lead_email_trgm"),
        ("312 555", "lead_phone_trgm"),
    ],
)
def test_search_and_paging_are_index_scans_on_postgresql(workspace, typed, index):
    lead = LeadFactory(workspace=workspace)
    after = keyset.beyond(
        Lead.objects.filter(workspace=workspace),
        "updated_at",
        (lead.updated_at, lead.pk),
        descending=True,
    )
    # A tiny table is read whole whatever its indexes: ask the planner what it could use. The
    # search's expressions must be the indexed ones, character for character, to be usable.
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_sort = off")
    plan = after[:26].explain()
    assert "lead_ws_recent" in plan  # the order, and the page's start as one range of it:
    assert "Index Cond: ((workspace_id = " in plan and "ROW(updated_at, id) < ROW(" in plan
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_sort = on")
        cursor.execute("SET LOCAL enable_indexscan = off")  # only the search's bitmaps are left
    assert index in search(Lead.objects.all(), typed).explain()
