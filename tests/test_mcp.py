"""`nemoctl mcp` driven by the official MCP SDK's own client, over stdio and over Streamable HTTP: the
tools find what was said, read the transcript, list recordings and speakers, answer with citations; each
user sees only their own memory; no token, no entry."""

from __future__ import annotations

import asyncio
import os
import subprocess
import time

import pytest
import requests
from mcp import Client
from mcp.client.stdio import StdioServerParameters
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client

from tests.conftest import _stop, free_port
from tests.helpers import NEMOCTL, synthesize, upload_over_http

# Said only here: no other test's recording holds it.
SAID = "Sarah ordered forty liters of blue paint for the lighthouse on Thursday."
TOOLS = {"search_memory", "get_transcript", "list_recordings", "list_speakers", "ask_assistant"}


@pytest.fixture(scope="module")
def lighthouse_call(live_server, bob, tmp_path_factory):
    """A recording of bob's, transcribed and indexed."""
    path = synthesize(SAID, tmp_path_factory.mktemp("mcp") / "lighthouse.wav")
    accepted, state = upload_over_http(live_server, bob, path, title="Lighthouse call")
    assert state == "done"
    return accepted.json()["recording_id"]


def stdio_params(live_server: str, token: str) -> StdioServerParameters:
    return StdioServerParameters(
        command=NEMOCTL,
        args=["mcp", "--server", live_server],
        env={"NEMO_TOKEN": token, "PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/tmp")},
    )


async def session_calls(server, calls: list[tuple[str, dict]]) -> tuple[set[str], list]:
    async with Client(server, read_timeout_seconds=300) as client:
        tools = {tool.name for tool in (await client.list_tools()).tools}
        results = [await client.call_tool(name, arguments) for name, arguments in calls]
    return tools, results


def test_stdio_tools_search_read_list_and_answer(live_server, bob, alice, lighthouse_call):
    calls = [
        ("search_memory", {"query": "blue paint for the lighthouse", "top_k": 5}),
        ("get_transcript", {"recording_id": lighthouse_call}),
        ("list_recordings", {}),
        ("list_speakers", {}),
        ("ask_assistant", {"question": "What was ordered for the lighthouse?"}),
    ]
    tools, (found, transcript, listed, speakers, answer) = asyncio.run(
        session_calls(stdio_params(live_server, bob["token"]), calls)
    )
    assert tools >= TOOLS
    assert not any(r.is_error for r in (found, transcript, listed, speakers, answer))
    hits = found.structured_content["results"]
    assert hits and hits[0]["recording_id"] == lighthouse_call and "paint" in hits[0]["text"].lower()
    assert hits[0]["recording_title"] == "Lighthouse call"
    said = " ".join(s["text"] for s in transcript.structured_content["segments"]).lower()
    assert {"paint", "lighthouse", "thursday"} <= set(said.replace(".", " ").replace(",", " ").split()), said
    assert lighthouse_call in {r["id"] for r in listed.structured_content["recordings"]}
    assert speakers.structured_content["speakers"], "the call's speaker is listed"
    reply = answer.structured_content
    assert "paint" in reply["answer"].lower(), reply
    assert lighthouse_call in {c["recording_id"] for c in reply["citations"]}, reply


def test_stdio_tools_see_only_the_tokens_user(live_server, alice, lighthouse_call):
    calls = [("get_transcript", {"recording_id": lighthouse_call}), ("list_recordings", {})]
    _tools, (transcript, listed) = asyncio.run(
        session_calls(stdio_params(live_server, alice["token"]), calls)
    )
    assert transcript.is_error and "no such recording" in transcript.content[0].text
    assert lighthouse_call not in {r["id"] for r in listed.structured_content["recordings"]}


@pytest.fixture(scope="module")
def mcp_http(live_server, tmp_path_factory):
    port = free_port()
    log = (tmp_path_factory.mktemp("mcp-http") / "mcp.log").open("w")
    proc = subprocess.Popen(
        [NEMOCTL, "mcp", "--http", "--port", str(port), "--server", live_server],
        env={"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/tmp")},
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}/mcp"
    for _ in range(120):
        try:
            requests.get(url, timeout=2)
            break
        except requests.ConnectionError:
            time.sleep(0.25)
    yield url
    _stop(proc)


async def http_calls(url: str, token: str, calls: list[tuple[str, dict]]) -> list:
    http = create_mcp_http_client(headers={"Authorization": f"Bearer {token}"})
    async with (
        http,
        Client(streamable_http_client(url, http_client=http), read_timeout_seconds=120) as client,
    ):
        return [await client.call_tool(name, arguments) for name, arguments in calls]


def test_streamable_http_acts_as_each_requests_token(mcp_http, bob, alice, lighthouse_call):
    unauthenticated = requests.post(mcp_http, json={"jsonrpc": "2.0", "id": 1, "method": "ping"}, timeout=30)
    assert unauthenticated.status_code == 401
    wrong = requests.post(mcp_http, json={}, headers={"Authorization": "Bearer not-a-token"}, timeout=30)
    assert wrong.status_code == 401
    (bobs,) = asyncio.run(
        http_calls(mcp_http, bob["token"], [("search_memory", {"query": "blue paint for the lighthouse"})])
    )
    assert lighthouse_call in {hit["recording_id"] for hit in bobs.structured_content["results"]}
    (alices,) = asyncio.run(
        http_calls(mcp_http, alice["token"], [("search_memory", {"query": "blue paint for the lighthouse"})])
    )
    assert lighthouse_call not in {hit["recording_id"] for hit in alices.structured_content["results"]}
