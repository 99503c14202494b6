"""`/metrics` as Prometheus scrapes it, after real work by the real workers: a transcription, a search
and an answer; who may read it; and the Grafana dashboard asks only for what it exposes."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

import celeryconfig
from app.secrets import get_secret
from tests.helpers import ask, follow, synthesize, upload_over_http

# Said only here: no other test's recording has the same content.
SAID = "The metrics meeting moved the cloud budget review to Monday afternoon."

DASHBOARD = Path(__file__).resolve().parents[1] / "deploy" / "grafana" / "nemo-server.json"


@pytest.fixture(scope="module")
def metrics_token(app):
    return get_secret(app.extensions["nemo.config"].INSTANCE_DIR, "metrics_token")


SUFFIXES = {"counter": ("_total",), "histogram": ("_bucket", "_count", "_sum"), "gauge": ("",)}


def scrape(url: str, headers: dict) -> tuple[dict[str, list], set[str]]:
    """Samples by name (a histogram's `_bucket`, `_count`, `_sum` and a counter's `_total` apart), and
    every name a query may use, of the series there are and of the families with none yet."""
    response = requests.get(f"{url}/metrics", headers=headers, timeout=30)
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"].startswith("text/plain")
    samples: dict[str, list] = {}
    names: set[str] = set()
    for family in text_string_to_metric_families(response.text):
        names.update(family.name + suffix for suffix in SUFFIXES[family.type])
        for sample in family.samples:
            samples.setdefault(sample.name, []).append(sample)
    return samples, names


def value(samples: dict[str, list], name: str, **labels: str) -> float:
    """The sum over the series of `name` whose labels include `labels`."""
    return sum(s.value for s in samples.get(name, []) if labels.items() <= s.labels.items())


@pytest.fixture(scope="module")
def worked(live_server, bob, tmp_path_factory):
    """A transcription, a search and an answer, through the HTTP API as a user makes them."""
    path = synthesize(SAID, tmp_path_factory.mktemp("metrics") / "budget.wav")
    assert upload_over_http(live_server, bob, path)[1] == "done"
    found = requests.post(
        f"{live_server}/api/v1/search", json={"query": "cloud budget review"}, headers=bob["auth"], timeout=60
    )
    assert found.status_code == 200 and found.json()["results"]
    chat = ask(live_server, bob, "Say hello.", use_memory=False, max_tokens=8)
    assert follow(live_server, bob, chat["chat_id"])[-1][1] == "done"


def test_only_the_scraper_and_admins_read_metrics(live_server, alice, bob, metrics_token):
    anonymous = requests.get(f"{live_server}/metrics", timeout=30)
    assert anonymous.status_code == 401 and anonymous.json()["error"]["code"] == "unauthenticated"
    wrong = requests.get(f"{live_server}/metrics", headers={"Authorization": "Bearer nope"}, timeout=30)
    assert wrong.status_code == 401
    assert requests.get(f"{live_server}/metrics", headers=bob["auth"], timeout=30).status_code == 403
    assert requests.get(f"{live_server}/metrics", headers=alice["auth"], timeout=30).status_code == 200
    scraper = {"Authorization": f"Bearer {metrics_token}"}
    assert requests.get(f"{live_server}/metrics", headers=scraper, timeout=30).status_code == 200
    # The scraper's token is no user's: it opens nothing else.
    assert requests.get(f"{live_server}/api/v1/recordings", headers=scraper, timeout=30).status_code == 401


def test_metrics_count_the_work_done(live_server, metrics_token, worked):
    assert requests.get(f"{live_server}/metrics", timeout=30).status_code == 401
    samples, _names = scrape(live_server, {"Authorization": f"Bearer {metrics_token}"})
    chunks = celeryconfig.CHUNKS_TASK
    assert value(samples, "nemo_tasks_total", task=chunks, state="SUCCESS") >= 1
    assert value(samples, "nemo_task_duration_seconds_count", task=chunks) >= 1
    assert value(samples, "nemo_task_duration_seconds_sum", task=chunks) > 0
    # ASR speed: the spoken clip is about four seconds, transcribed faster than real time.
    assert value(samples, "nemo_asr_audio_seconds_total") >= 3
    rtf_count = value(samples, "nemo_asr_real_time_factor_count")
    assert rtf_count >= 1 and 0 < value(samples, "nemo_asr_real_time_factor_sum") / rtf_count < 1
    assert value(samples, "nemo_jobs", kind="transcribe", state="done") >= 1
    queues = {s.labels["queue"] for s in samples["nemo_queue_messages"]}
    assert queues == set(celeryconfig.QUEUES)
    for queue in celeryconfig.QUEUES:
        assert value(samples, "nemo_queue_consumers", queue=queue) >= 1, queue
    assert value(samples, "nemo_search_seconds_count") >= 1
    assert value(samples, "nemo_chat_first_token_seconds_count") >= 1
    assert value(samples, "nemo_chat_seconds_count") >= 1
    assert value(samples, "nemo_http_requests_total", endpoint="api.upload_recording", status="202") >= 1
    # A refused request is counted too.
    assert value(samples, "nemo_http_requests_total", endpoint="metrics.metrics", status="401") >= 1
    assert value(samples, "nemo_model_loads_total") >= 1
    # The GPU worker holds the ASR model it transcribed with (and the assistant's, after the answer).
    resident = {s.labels["model"] for s in samples["nemo_model_resident"]}
    assert any(model.startswith("asr:") for model in resident), resident


def test_the_dashboard_asks_only_for_exposed_metrics(live_server, metrics_token, worked):
    _samples, exposed = scrape(live_server, {"Authorization": f"Bearer {metrics_token}"})
    dashboard = json.loads(DASHBOARD.read_text())
    asked = {
        name
        for panel in dashboard["panels"]
        for target in panel["targets"]
        for name in re.findall(r"\bnemo_[a-z_]+", target["expr"])
    }
    assert len(asked) >= 12
    assert asked <= exposed, asked - exposed
