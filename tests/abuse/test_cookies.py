"""A session cookie no session could have is no session, never a server error: on a page, the
login form and the API alike. ``"\\000"`` in a quoted cookie is plain ASCII on the wire (a server
passes it on) and Python's cookie parser turns it into a NUL byte; schemathesis found it."""

import pytest
from django.contrib.auth import SESSION_KEY
from django.test import Client

from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db

HOSTILE = [
    '"abcdefgh\\000ijkl"',
    '"\\000\\000\\000\\000\\000\\000\\000\\000"',
    "abc%00defghij",
    "é" * 40,
]


@pytest.mark.parametrize("cookie", HOSTILE)
@pytest.mark.parametrize("path", ["/", "/login/", "/api/workspaces/{workspace}/appointments"])
def test_a_session_cookie_that_could_not_be_ours_is_no_session(cookie, path, workspace):
    client = Client()
    url = path.format(workspace=workspace.public_id)

    response = client.get(url, HTTP_COOKIE=f"sessionid={cookie}")

    assert response.status_code in (200, 302, 401)


def test_a_real_session_still_logs_in(client, workspace):
    user = MembershipFactory(workspace=workspace, role="admin").user
    client.force_login(user)

    assert client.get("/").status_code == 302  # to the one workspace's appointments
    assert SESSION_KEY in client.session
