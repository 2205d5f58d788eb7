"""The shared provider transport's rules, through a provider that only exists here ("Acme")."""

import logging

import httpx
import pytest

from followups.errors import (
    ProviderAuthError,
    ProviderBadRequest,
    ProviderRateLimited,
    ProviderUnavailable,
    SlotTaken,
)
from integrations.http import (
    MAX_RATE_WAIT,
    SLEEP_BUDGET,
    Dialect,
    Policy,
    ProviderHttp,
)

BASE = "https://acme.test"
TOKEN = "acme-secret-token-4f1c9e"
READ = Policy(attempts=3)
WRITE_ONCE = Policy(attempts=3, repeatable=False)
REPEATABLE_WRITE = Policy(attempts=2, unknown_when_exhausted=True)


class Acme(Dialect):
    name = "Acme"
    trace_field = "requestId"

    def reason(self, body):
        return body.get("error") if isinstance(body.get("error"), str) else ""

    def refusal(self, call, refusal):
        if refusal.status == 409 and "taken" in refusal.reason:
            return SlotTaken("Taken at Acme.", status=409, detail=refusal.detail)
        return None


pytestmark = pytest.mark.respx(base_url=BASE, assert_all_called=False)


@pytest.fixture
def sleeps():
    """What the transport slept, in seconds: it never really waits here."""
    return []


@pytest.fixture
def http(sleeps):
    with ProviderHttp(Acme(), base_url=BASE, token=TOKEN, sleep=sleeps.append) as transport:
        yield transport


def get(http, policy=READ):
    return http.request("GET", "/things", action="list things", policy=policy)


def post(http, policy=WRITE_ONCE):
    return http.request("POST", "/things", action="make a thing", policy=policy, json={})


def test_a_success_answers_the_decoded_object_with_the_token_sent(respx_mock, http):
    route = respx_mock.get("/things").respond(200, json={"things": [1]})

    assert get(http) == {"things": [1]}
    assert route.calls[0].request.headers["Authorization"] == f"Bearer {TOKEN}"


def test_every_request_has_a_timeout(respx_mock, http):
    route = respx_mock.get("/things").respond(200, json={})

    get(http)

    timeout = route.calls[0].request.extensions["timeout"]
    assert timeout["connect"] == 5.0 and timeout["read"] == 20.0


def test_a_429_waits_for_retry_after_then_succeeds(respx_mock, http, sleeps):
    route = respx_mock.get("/things").mock(
        side_effect=[
            httpx.Response(429, headers={"Retry-After": "2"}),
            httpx.Response(200, json={"ok": True}),
        ]
    )

    assert get(http) == {"ok": True}
    assert route.call_count == 2
    assert len(sleeps) == 1 and 2 <= sleeps[0] <= 2.25


def test_a_429_asking_for_a_long_wait_is_handed_to_the_caller_without_sleeping(
    respx_mock, http, sleeps
):
    route = respx_mock.get("/things").respond(429, headers={"Retry-After": str(MAX_RATE_WAIT + 20)})

    with pytest.raises(ProviderRateLimited) as caught:
        get(http)

    assert caught.value.retry_after == MAX_RATE_WAIT + 20
    assert "Acme is rate-limiting" in caught.value.safe_message
    assert route.call_count == 1 and sleeps == []


def test_a_429_that_keeps_coming_ends_rate_limited_after_the_attempts(respx_mock, http, sleeps):
    route = respx_mock.get("/things").respond(429, headers={"Retry-After": "1"})

    with pytest.raises(ProviderRateLimited) as caught:
        get(http)

    assert caught.value.retry_after == 1
    assert route.call_count == 3 and len(sleeps) == 2


def test_a_call_that_must_not_wait_is_rate_limited_at_once(respx_mock, http, sleeps):
    route = respx_mock.post("/things").respond(429, headers={"Retry-After": "1"})
    no_wait = Policy(attempts=1, wait_on_rate_limit=False, repeatable=False)

    with pytest.raises(ProviderRateLimited):
        post(http, policy=no_wait)

    assert route.call_count == 1 and sleeps == []


def test_a_5xx_is_retried_with_growing_back_off_then_succeeds(respx_mock, http, sleeps):
    route = respx_mock.get("/things").mock(
        side_effect=[httpx.Response(502), httpx.Response(503), httpx.Response(200, json={})]
    )

    assert get(http) == {}
    assert route.call_count == 3
    assert len(sleeps) == 2 and 0.5 <= sleeps[0] <= 1.0 <= sleeps[1] <= 1.5


def test_a_5xx_that_keeps_coming_is_unavailable_after_the_attempts(respx_mock, http, sleeps):
    route = respx_mock.get("/things").respond(500)

    with pytest.raises(ProviderUnavailable) as caught:
        get(http)

    assert route.call_count == 3 and len(sleeps) == 2
    assert caught.value.status == 500
    assert not caught.value.outcome_unknown
    assert "Acme is not answering" in caught.value.safe_message


def test_back_off_never_sleeps_past_the_budget(respx_mock, http, sleeps):
    route = respx_mock.get("/things").respond(503)

    with pytest.raises(ProviderUnavailable) as caught:
        get(http, policy=Policy(attempts=50))

    assert sum(sleeps) <= SLEEP_BUDGET
    assert route.call_count == len(sleeps) + 1 < 50
    assert "retry budget spent" in caught.value.detail


def test_a_write_that_timed_out_after_sending_is_outcome_unknown_and_not_sent_again(
    respx_mock, http, sleeps
):
    route = respx_mock.post("/things").mock(side_effect=httpx.ReadTimeout("slow"))

    with pytest.raises(ProviderUnavailable) as caught:
        post(http)

    assert caught.value.outcome_unknown
    assert "Check before trying again" in caught.value.safe_message
    assert route.call_count == 1 and sleeps == []


def test_a_write_answered_with_a_5xx_is_outcome_unknown_and_not_sent_again(
    respx_mock, http, sleeps
):
    route = respx_mock.post("/things").respond(500)

    with pytest.raises(ProviderUnavailable) as caught:
        post(http)

    assert caught.value.outcome_unknown
    assert route.call_count == 1 and sleeps == []


def test_a_write_that_never_connected_is_sent_again(respx_mock, http):
    route = respx_mock.post("/things").mock(
        side_effect=[httpx.ConnectError("refused"), httpx.Response(201, json={"id": "t1"})]
    )

    assert post(http) == {"id": "t1"}
    assert route.call_count == 2


def test_a_write_that_never_connected_at_all_is_known_not_to_have_happened(respx_mock, http):
    respx_mock.post("/things").mock(side_effect=httpx.ConnectError("refused"))

    with pytest.raises(ProviderUnavailable) as caught:
        post(http)

    assert not caught.value.outcome_unknown


def test_a_repeatable_write_is_retried_but_its_last_failure_leaves_the_outcome_unknown(
    respx_mock, http
):
    route = respx_mock.post("/things").mock(side_effect=httpx.ReadTimeout("slow"))

    with pytest.raises(ProviderUnavailable) as caught:
        post(http, policy=REPEATABLE_WRITE)

    assert route.call_count == 2
    assert caught.value.outcome_unknown


def test_a_read_that_timed_out_is_retried(respx_mock, http):
    route = respx_mock.get("/things").mock(
        side_effect=[httpx.ReadTimeout("slow"), httpx.Response(200, json={"ok": 1})]
    )

    assert get(http) == {"ok": 1}
    assert route.call_count == 2


def test_an_unreadable_answer_to_a_write_leaves_the_outcome_unknown(respx_mock, http):
    respx_mock.post("/things").respond(201, text="<html>ok</html>")

    with pytest.raises(ProviderUnavailable) as caught:
        post(http)

    assert caught.value.outcome_unknown
    assert "Acme sent an answer we could not read" in caught.value.safe_message


def test_an_unreadable_answer_to_a_read_is_not_an_unknown_outcome(respx_mock, http):
    respx_mock.get("/things").respond(200, json=["not", "an", "object"])

    with pytest.raises(ProviderUnavailable) as caught:
        get(http)

    assert not caught.value.outcome_unknown


def test_a_401_asks_for_a_reconnect(respx_mock, http):
    respx_mock.get("/things").respond(401, json={"error": "bad token"})

    with pytest.raises(ProviderAuthError) as caught:
        get(http)

    assert "reconnect Acme on the Integrations tab" in caught.value.safe_message


def test_a_4xx_says_the_providers_reason_and_keeps_its_request_id_for_the_log(respx_mock, http):
    respx_mock.get("/things").respond(422, json={"error": "name is required", "requestId": "r-9"})

    with pytest.raises(ProviderBadRequest) as caught:
        get(http)

    assert caught.value.safe_message == "Acme refused to list things: name is required"
    assert caught.value.status == 422
    assert "trace=r-9" in caught.value.detail


def test_the_dialect_words_the_refusals_that_mean_something_special(respx_mock, http):
    respx_mock.post("/things").respond(409, json={"error": "slot taken"})

    with pytest.raises(SlotTaken):
        post(http)


@pytest.mark.parametrize(
    "answer",
    [
        httpx.Response(400, json={"error": f"token {TOKEN} is odd"}),
        httpx.Response(401, json={"error": f"token {TOKEN} revoked"}),
        httpx.Response(429, json={"error": f"slow down {TOKEN}"}, headers={"Retry-After": "60"}),
        httpx.Response(503, json={"error": f"down for {TOKEN}"}),
    ],
    ids=["400", "401", "429", "503"],
)
def test_the_token_is_never_in_an_error_or_a_log_line(respx_mock, http, caplog, answer):
    caplog.set_level(logging.DEBUG)
    respx_mock.get("/things").mock(return_value=answer)

    with pytest.raises(Exception) as caught:
        get(http)

    error = caught.value
    for text in (str(error), error.safe_message, error.detail, caplog.text, repr(error)):
        assert TOKEN not in text
    assert error.status == answer.status_code


def test_secrets_a_call_names_are_never_in_its_errors(respx_mock, sleeps):
    code = "one-time-code-77"
    route = respx_mock.post("/oauth/token").respond(400, json={"error": f"code {code} was used"})
    anonymous = ProviderHttp(Acme(), base_url=BASE, sleep=sleeps.append)

    with anonymous, pytest.raises(ProviderBadRequest) as caught:
        anonymous.request(
            "POST",
            "/oauth/token",
            action="trade the code",
            policy=WRITE_ONCE,
            data={"code": code},
            secrets=(code,),
        )

    assert code not in caught.value.safe_message and code not in caught.value.detail
    assert "[secret]" in caught.value.safe_message
    sent = route.calls[0].request
    assert "Authorization" not in sent.headers and sent.content == f"code={code}".encode()
