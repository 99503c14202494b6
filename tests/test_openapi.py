"""The OpenAPI 3.1 document: every route is in it, it is valid, the page shows it, and a schema-driven fuzz
run (schemathesis) over every operation meets no server error and no answer outside the document.

The fuzz run is fixed-seed and small enough for CI (NEMO_OPENAPI_EXAMPLES per operation, 25 by default);
raise it for a longer run by hand.
"""

from __future__ import annotations

import os

import pytest
import requests

from app.contract.openapi import documented_rules, openapi_path

EXAMPLES = int(os.environ.get("NEMO_OPENAPI_EXAMPLES", "25"))


@pytest.fixture(scope="module")
def document(live_server) -> dict:
    response = requests.get(f"{live_server}/api/v1/openapi.json", timeout=60)
    assert response.status_code == 200 and response.headers["Content-Type"].startswith("application/json")
    return response.json()


def test_every_route_is_in_the_document(app, document):
    missing = [
        f"{method} {rule.rule}"
        for rule in documented_rules(app)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"})
        if method.lower() not in document["paths"].get(openapi_path(rule.rule), {})
    ]
    assert not missing, f"routes without a contract (add @operation): {missing}"
    assert len(document["paths"]) >= 50


def test_a_route_without_a_contract_is_reported_missing(app):
    """The check above can fail: a route added without a contract is not in the document it builds."""
    from app.contract.openapi import build_document

    scratch = app.__class__(app.import_name)
    scratch.add_url_rule("/api/v1/undocumented", "undocumented", lambda: "")
    assert "/api/v1/undocumented" not in build_document(scratch, "0")["paths"]
    assert [r.rule for r in documented_rules(scratch)] == ["/api/v1/undocumented"]


def test_the_document_is_valid_openapi_3_1(document):
    from openapi_spec_validator import validate
    from openapi_spec_validator.validation import OpenAPIV31SpecValidator

    validate(document, cls=OpenAPIV31SpecValidator)
    assert document["openapi"] == "3.1.0"
    search = document["paths"]["/api/v1/search"]["post"]
    body = search["requestBody"]["content"]["application/json"]["schema"]
    assert body == {"$ref": "#/components/schemas/SearchBody"}
    schema = document["components"]["schemas"]["SearchBody"]
    assert schema["properties"]["top_k"]["maximum"] == 100 and schema["required"] == ["query"]
    assert schema["additionalProperties"] is False
    assert search["security"] == [{"bearer": []}, {"session": []}]
    assert document["paths"]["/api/v1/health"]["get"]["security"] == []
    upload = document["paths"]["/api/v1/recordings"]["post"]["requestBody"]["content"]["multipart/form-data"]
    assert upload["schema"]["properties"]["audio"]["format"] == "binary"
    assert {"audio", "title", "speakers"} <= set(upload["schema"]["properties"])
    assert "/v1/audio/transcriptions" in document["paths"]


def test_what_the_document_says_is_what_the_api_checks(live_server, bob, document):
    """One source: a limit in the document is the limit the API enforces, and its refusal names the field."""
    limit = document["components"]["schemas"]["SearchBody"]["properties"]["top_k"]["maximum"]
    url = f"{live_server}/api/v1/search"
    over = requests.post(url, json={"query": "budget", "top_k": limit + 1}, headers=bob["auth"], timeout=60)
    assert over.status_code == 400 and over.json()["error"]["message"].startswith("top_k:")
    unknown = requests.post(url, json={"query": "budget", "colour": "red"}, headers=bob["auth"], timeout=60)
    assert unknown.status_code == 400 and unknown.json()["error"]["message"] == "unknown field 'colour'"


@pytest.fixture(scope="module")
def fuzz_user(store, live_server):
    """A user of their own, once the workers answer: the emotion model loads on its first request, which
    on two cores can take longer than the 15 s a request waits (a 503 the fuzz run would report)."""
    from tests.conftest import _make_user

    user = _make_user(store, "openapi-fuzz")
    for _ in range(40):
        answer = requests.post(
            f"{live_server}/api/v1/emotion", json={"text": "warming up"}, headers=user["auth"], timeout=60
        )
        if answer.status_code == 200:
            return user
    raise AssertionError(f"the emotion worker never answered: {answer.status_code} {answer.text}")


def test_fuzzing_every_operation_finds_no_server_error(live_server, fuzz_user, document):
    import schemathesis
    from hypothesis import HealthCheck, Phase, given, settings
    from schemathesis.checks import not_a_server_error
    from schemathesis.specs.openapi.checks import (
        content_type_conformance,
        response_schema_conformance,
        status_code_conformance,
    )

    checks = [
        not_a_server_error,
        status_code_conformance,
        content_type_conformance,
        response_schema_conformance,
    ]
    headers = {"Authorization": f"Bearer {fuzz_user['token']}"}
    failures: list[str] = []
    fuzzed = 0
    for result in schemathesis.openapi.from_dict(document).get_all_operations():
        operation = result.ok()
        if operation.path.endswith("/events"):
            continue  # event streams stay open until their job ends: test_event_streams_... calls them

        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            derandomize=True,  # a fixed seed: CI sees the same requests every run
            database=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy())
        def call(case):
            response = case.call(base_url=live_server, headers=headers, timeout=120)
            try:
                case.validate_response(response, checks=checks)
            except (Exception, BaseExceptionGroup) as exc:  # noqa: BLE001 - all failures reported together
                failures.append(f"{case.method} {case.path}: {exc}"[:3000])

        call()
        fuzzed += 1
    assert fuzzed >= 50
    assert not failures, "\n\n".join(failures[:10])


def test_event_streams_of_unknown_ids_are_404s(live_server, fuzz_user):
    for path in ("jobs", "chat", "streams"):
        answer = requests.get(
            f"{live_server}/api/v1/{path}/nope/events", headers=fuzz_user["auth"], timeout=30
        )
        assert answer.status_code == 404 and answer.json()["error"]["code"] == "not_found"


@pytest.mark.browser
def test_the_reference_page_shows_every_operation(browser, live_server, bob, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    from tests.browser import log_in

    wait = WebDriverWait(browser, 60)
    browser.get(f"{live_server}/login")
    log_in(browser, wait, bob, "upload-form")
    browser.get(f"{live_server}/api/v1/docs")
    browser.set_window_size(1400, 900)
    wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, ".opblock")))
    browser.save_screenshot(str(tmp_path / "api-docs-top.png"))
    assert not browser.find_elements(
        By.CSS_SELECTOR, ".errors-wrapper"
    )  # Swagger UI found the document sound
    shown = {
        (e.find_element(By.CSS_SELECTOR, ".opblock-summary-method").text, e.get_attribute("id"))
        for e in browser.find_elements(By.CSS_SELECTOR, ".opblock")
    }
    assert len(shown) >= 50
    browser.find_element(By.XPATH, "//span[@data-path='/api/v1/auth/me']").click()
    wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, ".opblock.is-open .try-out__btn"))).click()
    browser.find_element(By.CSS_SELECTOR, ".opblock.is-open .execute").click()
    # The live answer (Swagger UI's "Server response" table), not the documented responses below it,
    # which show up first and hold only the schema's example.
    status = wait.until(
        ec.presence_of_element_located(
            (By.CSS_SELECTOR, ".opblock.is-open .live-responses-table .response .response-col_status")
        )
    )
    assert status.text.strip().startswith("200")
    live = browser.find_element(By.CSS_SELECTOR, ".opblock.is-open .live-responses-table")
    shown = " ".join(e.text for e in live.find_elements(By.CSS_SELECTOR, ".microlight"))
    assert f'"username": "{bob["username"]}"' in shown  # the signed-in session's own account
    browser.save_screenshot(str(tmp_path / "api-docs.png"))
    errors = [m for m in browser.get_log("browser") if m["level"] == "SEVERE"]
    assert not errors, errors
