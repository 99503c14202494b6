"""The assistant, end to end: real recordings through the real pipeline, questions answered by the real
LLM in the GPU worker, tokens streamed over SSE by gunicorn, citations that point at the right moment,
summaries. Runs on both store backends (NEMO_TEST_STORE). Priorities on the shared GPU worker are in
tests/test_chat_priority.py."""

from __future__ import annotations

import json
import re
import subprocess
import time
from datetime import UTC, datetime

import pytest
import requests

from tests.browser import FLOW_SIZES
from tests.conftest import _make_user
from tests.helpers import ask, follow, search, spoken_lines, upload, wait_for_job

# name: (voice, recorded_at, lines). None is the moment of upload and "an hour ago" an hour before it: the
# time-phrase tests need recordings inside and outside "the last 2 hours", and a day ("three days ago")
# when nothing was said.
RECORDINGS = {
    "budget": (
        "flite:kal",
        "2026-11-02T09:00:00Z",
        [
            "Please send the quarterly budget report to the finance team before Friday.",
            "The printer on the third floor needs new toner cartridges.",
        ],
    ),
    "holiday": (
        "flite:slt",
        "an hour ago",
        ["We finally booked our holiday in Portugal!", "The flight leaves on Saturday morning at eight."],
    ),
    "backup": (
        "flite:rms",
        None,
        ["Last night the backup job failed because the disk on the backup server was full."],
    ),
    "incident": (  # two people: the question and the reply to it
        ("flite:awb", "flite:slt"),
        "2026-11-20T15:00:00Z",
        [
            "Do we know why the payment page was slow?",
            "It was slow because the currency service timed out under load.",
        ],
    ),
}


def _recorded_at(when: str | None) -> str | None:
    if when == "an hour ago":
        return datetime.fromtimestamp(time.time() - 3600, UTC).isoformat()
    return when


@pytest.fixture(scope="module")
def memory(client_module, workers, store, tmp_path_factory):
    user = _make_user(store, f"dana-{time.monotonic_ns()}")
    folder = tmp_path_factory.mktemp("chat-memory")
    accepted = {}
    for name, (voice, recorded_at, lines) in RECORDINGS.items():
        path = folder / f"{name}.wav"
        spoken_lines(voice, lines, path)
        when = {"recorded_at": _recorded_at(recorded_at)} if recorded_at else {}
        response = upload(client_module, path, user["auth"], title=name.title(), **when)
        assert response.status_code == 202, response.get_json()
        accepted[name] = response.get_json()
    recordings = {}
    for name, job in accepted.items():
        done = wait_for_job(client_module, job["job_id"], user["auth"], timeout=300)
        assert done["state"] == "done", done
        recordings[name] = client_module.get(
            f"/api/v1/recordings/{job['recording_id']}", headers=user["auth"]
        ).get_json()
    return user, recordings


def test_an_answer_from_memory_streams_and_cites_the_moment(live_server, memory):
    user, recordings = memory
    accepted = ask(live_server, user, "When is the quarterly budget report due?", max_tokens=96)
    events = follow(live_server, user, accepted["chat_id"])
    names = [e[1] for e in events]
    assert names[0] == "started" and names[1] == "memory" and names[-1] == "done", names
    final = events[-1][2]
    tokens = [e[2]["text"] for e in events if e[1] == "token"]
    assert len(tokens) >= 3 and "".join(tokens) == final["answer"]
    assert "friday" in final["answer"].lower(), (final["answer"], final.get("memory"))
    budget = recordings["budget"]
    moment = next(s for s in budget["segments"] if "budget" in s["text"].lower())
    cited = {c["segment_id"]: c for c in final["citations"]}
    assert moment["id"] in cited, (final["answer"], final["citations"])
    citation = cited[moment["id"]]
    assert citation["recording_id"] == budget["id"] and citation["recording_title"] == "Budget"
    assert (citation["start"], citation["end"]) == (moment["start"], moment["end"])
    assert final["usage"]["prompt_tokens"] > 50 and final["usage"]["completion_tokens"] == len(tokens)
    assert final["timings"]["first_token_s"] > 0 and final["timings"]["tokens_per_second"] > 0
    # Stored for the user, with the conversation it belongs to.
    stored = requests.get(f"{live_server}/api/v1/chat/{accepted['chat_id']}", headers=user["auth"]).json()
    assert stored["state"] == "done" and stored["answer"] == final["answer"]
    conversation = requests.get(
        f"{live_server}/api/v1/conversations/{accepted['conversation_id']}", headers=user["auth"]
    ).json()
    assert [a["chat_id"] for a in conversation["answers"]] == [accepted["chat_id"]]


def test_nemoctl_chat_streams_the_answer_then_its_sources(live_server, memory):
    from tests.helpers import NEMOCTL

    user, recordings = memory
    question = "When is the quarterly budget report due?"
    command = [NEMOCTL, "chat", question, "--server", live_server, "--temperature", "0"]
    env = {"NEMO_TOKEN": user["token"], "PATH": "/usr/bin:/bin"}
    shown = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert shown.returncode == 0, shown.stderr
    assert "friday" in shown.stdout.lower()
    assert f"recording={recordings['budget']['id']}" in shown.stdout
    as_json = subprocess.run([*command, "--json"], env=env, capture_output=True, text=True, timeout=300)
    final = json.loads(as_json.stdout)
    assert final["state"] == "done" and final["citations"][0]["recording_id"] == recordings["budget"]["id"]
    refused = subprocess.run(
        [*command, "--max-tokens", "0"], env=env, capture_output=True, text=True, timeout=60
    )
    assert refused.returncode != 0 and "max_tokens" in refused.stderr


def memory_of(url: str, user: dict, question: str) -> tuple[dict, dict]:
    """The `memory` event and the final event of one question."""
    events = follow(url, user, ask(url, user, question, max_tokens=48)["chat_id"])
    return next(e[2] for e in events if e[1] == "memory"), events[-1][2]


def best(said: dict) -> dict:
    """The excerpt the search ranked first. The prompt lists it last, right before the question (or
    before the reply it brought, when it is a question asked in the recording)."""
    first = min(said["excerpts"], key=lambda e: e["rank"])
    listed = said["excerpts"]
    after = listed[listed.index(first) + 1 :]
    assert not after or (len(after) == 1 and after[0]["rank"] == 2), listed
    return first


def test_a_time_phrase_narrows_the_memory(live_server, memory):
    user, recordings = memory
    # The holiday was booked an hour ago, the budget weeks ago: the window keeps only what was said since.
    said, _final = memory_of(live_server, user, "What did we talk about in the last 2 hours?")
    assert said["window"]["phrase"] == "in the last 2 hours"
    assert said["window"]["applied"] is True and said["window"]["dropped"] is None
    recent = {recordings["holiday"]["id"], recordings["backup"]["id"]}
    assert said["excerpts"] and {e["recording_id"] for e in said["excerpts"]} <= recent
    said, _final = memory_of(live_server, user, "What did we book?")
    assert said["window"] is None and best(said)["recording_id"] == recordings["holiday"]["id"]


def test_a_window_that_leaves_nothing_is_dropped_and_says_so(live_server, memory):
    user, recordings = memory
    said, final = memory_of(live_server, user, "What did we say about the printer three days ago?")
    assert said["window"]["applied"] is False
    assert "nothing" in said["window"]["dropped"]
    assert best(said)["recording_id"] == recordings["budget"]["id"]
    assert "toner" in best(said)["text"].lower()
    cited = final["citations"]
    assert any(c["recording_id"] == recordings["budget"]["id"] for c in cited), (
        final["answer"],
        final["memory"],
    )


def test_a_phrase_about_the_event_searches_everything(live_server, memory):
    user, recordings = memory
    # Said today about last night: a "last night" window would hold nothing of it.
    said, final = memory_of(live_server, user, "Why did the backup job fail last night?")
    assert said["window"]["phrase"] == "last night" and said["window"]["applied"] is False
    assert "happened" in said["window"]["dropped"]
    assert best(said)["recording_id"] == recordings["backup"]["id"]
    assert any(c["recording_id"] == recordings["backup"]["id"] for c in final["citations"]), final
    assert any(word in final["answer"].lower() for word in ("disk", "full")), final["answer"]


def test_the_answer_to_a_question_asked_in_a_meeting_is_the_reply_not_the_echo(
    client_module, live_server, memory
):
    user, recordings = memory
    segments = recordings["incident"]["segments"]
    asked = next(s for s in segments if "why" in s["text"].lower())
    reply = next(s for s in segments if "currency" in s["text"].lower())
    # The search itself ranks the reply above the question it answers (`workers.rerank`), though the
    # question shares every word of the query (and was transcribed as a question: that is the premise).
    assert asked["text"].rstrip().endswith("?"), asked
    hits = search(client_module, user, "Why was the payment page slow?", top_k=5)["results"]
    assert [h["segment_id"] for h in hits][:2] == [reply["id"], asked["id"]], [
        (h["text"], h["speaker"], h["score"], h["similarity"]) for h in hits
    ]
    said, final = memory_of(live_server, user, "Why was the payment page slow?")
    # The question asked in the meeting is found, and what was said after it comes with it: in the same
    # excerpt (were they one turn) or, as here with two people, as the excerpt right after it.
    listed = said["excerpts"]
    incident = recordings["incident"]["id"]
    (n,) = [
        n
        for n, e in enumerate(listed)
        if e["recording_id"] == incident and e["start"] <= asked["start"] < e["end"]
    ]
    following = listed[n]["text"] + " ".join(e["text"] for e in listed[n + 1 : n + 2])
    assert "currency" in following.lower(), listed
    # The answer cites the sentence that holds it, never the echo of the question.
    assert any(c["segment_id"] == reply["id"] for c in final["citations"]), final
    assert all(c["segment_id"] != asked["id"] for c in final["citations"]), final


def test_a_question_about_something_never_said_is_not_found_and_cites_nothing(live_server, memory):
    user, _recordings = memory
    # The holiday's flight is in the memory, Lisbon and its cost are not: the nearest fact ("the flight
    # leaves on Saturday morning at eight") is no answer, whether the model abstains or is taken back.
    accepted = ask(live_server, user, "How much did the flights to Lisbon cost?", max_tokens=96)
    events = follow(live_server, user, accepted["chat_id"])
    final = events[-1][2]
    assert events[-1][1] == "done"
    assert final["answer"] == "I could not find that in the recordings.", final
    assert final["citations"] == []
    withdrawn = final["memory"].get("withdrawn")
    if withdrawn:  # generated, then taken back: the page and the CLI were told before `done`
        revised = [e[2] for e in events if e[1] == "revised"]
        assert revised == [{"answer": final["answer"], "reason": withdrawn["reason"]}]
        assert "lisbon" in withdrawn["reason"] or "amount" in withdrawn["reason"], withdrawn
    else:
        assert final["memory"]["abstained"] is True, final["memory"]
    stored = requests.get(f"{live_server}/api/v1/chat/{accepted['chat_id']}", headers=user["auth"]).json()
    assert stored["answer"] == final["answer"] and stored["citations"] == []
    # The command line ends on the same "not found", with no sources under it.
    from tests.helpers import NEMOCTL

    command = [NEMOCTL, "chat", "How much did the flights to Lisbon cost?", "--server", live_server]
    shown = subprocess.run(
        [*command, "--temperature", "0"],
        env={"NEMO_TOKEN": user["token"], "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert shown.returncode == 0, shown.stderr
    lines = shown.stdout.strip().splitlines()
    assert lines[-2] == final["answer"] and lines[-1].startswith("conversation="), shown.stdout


def test_a_client_that_disconnects_misses_nothing_on_reconnect(live_server, memory):
    user, _recordings = memory
    accepted = ask(live_server, user, "Write three sentences about the sea.", use_memory=False, max_tokens=80)
    first = follow(live_server, user, accepted["chat_id"], stop_after_tokens=3)
    assert [e[1] for e in first][-1] == "token"
    rest = follow(live_server, user, accepted["chat_id"], last_event_id=first[-1][0])
    ids = [e[0] for e in first + rest]
    assert len(ids) == len(set(ids)) and ids == sorted(ids, key=lambda i: tuple(map(int, i.split("-"))))
    final = rest[-1][2]
    assert rest[-1][1] == "done" and final["citations"] == []
    tokens = [e[2]["text"] for e in first + rest if e[1] == "token"]
    assert "".join(tokens) == final["answer"] and len(final["answer"]) > 20


def test_bad_chat_requests_change_nothing(client_module, memory, store, bob):
    user, _recordings = memory
    accepted = client_module.post(
        "/api/v1/chat",
        json={"messages": [{"role": "user", "content": "hello"}], "use_memory": False, "max_tokens": 8},
        headers=user["auth"],
    ).get_json()
    with store.tx() as tx:
        before = tx.one("SELECT count(*) AS n FROM chats")["n"]
    question = [{"role": "user", "content": "hi"}]
    cases = [
        ({"messages": []}, 400, "bad_field"),
        ({"messages": [{"role": "user", "content": "word " * 40_000}]}, 400, "context_exceeded"),
        ({"messages": question, "max_tokens": 0}, 400, "bad_field"),
        ({"messages": question, "max_tokens": 1_000_000}, 400, "bad_field"),
        ({"messages": question, "temperature": 9}, 400, "bad_field"),
        ({"messages": question, "temperature": -1}, 400, "bad_field"),
        ({"messages": question, "conversation_id": "nope"}, 404, "not_found"),
        ({"messages": question, "conversation_id": accepted["conversation_id"]}, 404, "not_found"),
    ]
    for body, status, code in cases:
        headers = bob["auth"] if body.get("conversation_id") == accepted["conversation_id"] else user["auth"]
        response = client_module.post("/api/v1/chat", json=body, headers=headers)
        assert response.status_code == status, (body, response.get_json())
        assert response.get_json()["error"]["code"] == code
        assert response.get_json()["error"]["message"]
    response = client_module.post("/api/v1/chat", data="messages", headers=user["auth"])
    assert response.status_code == 415
    # Another user's answer does not exist for bob.
    for path in (f"/api/v1/chat/{accepted['chat_id']}", f"/api/v1/chat/{accepted['chat_id']}/events"):
        assert client_module.get(path, headers=bob["auth"]).status_code == 404
    with store.tx() as tx:
        assert tx.one("SELECT count(*) AS n FROM chats")["n"] == before


def test_every_processed_recording_gets_a_summary(client_module, memory):
    user, recordings = memory
    deadline = time.monotonic() + 300
    while True:
        budget = client_module.get(f"/api/v1/recordings/{recordings['budget']['id']}", headers=user["auth"])
        budget = budget.get_json()
        if budget["summary_state"] in ("done", "failed") or time.monotonic() > deadline:
            break
        time.sleep(1)
    assert budget["summary_state"] == "done", budget["summary_state"]
    words = {w.strip(".,").lower() for w in budget["summary"].split()}
    assert words & {"budget", "report", "finance", "printer", "toner"}, budget["summary"]
    assert isinstance(budget["action_items"], list)


def test_health_reports_the_gpu_workers_model_pool(live_server, memory, alice):
    health = requests.get(f"{live_server}/api/v1/health", headers=alice["auth"], timeout=10).json()
    gpu = next(w for w in health["workers"] if w["hostname"].startswith("gpu@"))
    pool = gpu["model_pool"]
    assert pool["loads"] >= 2 and any(key.startswith("llm:") for key in pool["resident"])
    assert {"swaps", "swap_seconds", "last_swap_seconds", "budget_bytes"} <= set(pool)
    assert health["model_swaps"]["swaps"] == pool["swaps"] or len(health["workers"]) > 3
    assert "chat" not in health["queues_without_worker"]


@pytest.mark.browser
@pytest.mark.parametrize("size", FLOW_SIZES)
def test_the_chat_page_streams_and_links_to_the_moment(live_server, memory, chromium_paths, tmp_path, size):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    from tests.browser import SIZES, chromium, log_in

    user, recordings = memory
    with chromium(chromium_paths, tmp_path / "profile") as driver:
        driver.set_window_size(*SIZES[size])
        wait = WebDriverWait(driver, 240)
        driver.get(f"{live_server}/chat")
        log_in(driver, wait, user, "chat-form")
        driver.find_element(By.ID, "chat-input").send_keys("When is the quarterly budget report due?")
        driver.find_element(By.ID, "chat-send").click()
        turn = wait.until(
            ec.presence_of_element_located((By.CSS_SELECTOR, ".chat-turn.assistant[data-state]"))
        )
        # Before its first word the answer says what is going on, never an empty bubble.
        if turn.get_attribute("data-state") == "waiting":
            assert turn.find_element(By.CLASS_NAME, "text").text == "Searching your recordings…"
        wait.until(lambda d: turn.get_attribute("data-state") == "done")
        answer = turn.find_element(By.CLASS_NAME, "text")
        assert "friday" in answer.text.lower()
        assert "tokens" not in turn.text  # no internal statistics
        moment = next(s for s in recordings["budget"]["segments"] if "budget" in s["text"].lower())
        # Each [n] in the answer is a link to the moment it cites.
        marks = answer.find_elements(By.CSS_SELECTOR, "a.citation-mark")
        assert len(marks) == len(re.findall(r"\[\d+\]", answer.text)), answer.text
        assert all("segment=" in a.get_attribute("href") for a in marks)
        # The conversation is in the history, and opens again.
        entry = wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#chat-history li button"))[0]
        assert "quarterly budget report" in entry.text
        driver.find_element(By.ID, "chat-new").click()
        entry.click()
        wait.until(lambda d: "friday" in d.find_element(By.ID, "chat-log").text.lower())
        turn = driver.find_element(By.CSS_SELECTOR, ".chat-turn.assistant")
        links = turn.find_elements(By.CSS_SELECTOR, "a.citation-link")
        target = next(a for a in links if a.get_attribute("data-segment-id") == moment["id"])
        target.click()
        wait.until(ec.url_contains(f"/recordings/{recordings['budget']['id']}"))
        assert f"segment={moment['id']}" in driver.current_url
        wait.until(lambda d: d.find_element(By.ID, "summary-card").get_attribute("data-state") == "done")
        assert driver.find_element(By.ID, "summary-text").text.strip()
