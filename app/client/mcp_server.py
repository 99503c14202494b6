"""`nemoctl mcp`: the memory as tools an AI assistant can call, over the Model Context Protocol (the
official `mcp` SDK): search what was said, read a recording's transcript, list recordings and speakers,
and ask the assistant. Like every client command it talks to the server over its HTTP API, so it runs on
whatever machine the AI assistant does.

- **stdio** (what desktop assistants launch): acts as the user whose token is in `NEMO_TOKEN`.
- **Streamable HTTP** (`--http`): every request must carry `Authorization: Bearer <Nemo API token>`,
  checked against the server, and the tools act as that token's user: one MCP endpoint serves many
  users, each seeing only their own recordings.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError

from app.client.http import ClientError, NemoClient

INSTRUCTIONS = (
    "Nemo Server holds the user's recorded conversations (meetings, calls) as transcripts with speakers, "
    "times and emotions. Use search_memory to find what was said, get_transcript to read a recording, and "
    "ask_assistant for an answer with citations. Times are seconds from the start of the recording."
)
# How long a token that the server accepted is taken as valid without asking again (HTTP transport).
TOKEN_CHECK_SECONDS = 60.0

ClientFor = Callable[[Context | None], NemoClient]


def _call(action: Callable[[], Any]) -> Any:
    try:
        return action()
    except ClientError as exc:
        raise ToolError(exc.message) from exc


def _segment(hit: dict[str, Any]) -> dict[str, Any]:
    return {
        "recording_id": hit["recording_id"],
        "recording_title": hit.get("recording_title"),
        "segment_id": hit.get("segment_id") or hit.get("id"),
        "start": hit["start"],
        "end": hit["end"],
        "speaker": hit.get("speaker"),
        "text": hit["text"],
        "emotion": hit.get("emotion"),
    }


def build_server(client_for: ClientFor) -> MCPServer:
    """The MCP server; `client_for(ctx)` is the API client that a tool call acts through."""
    mcp = MCPServer(name="nemo-server", title="Nemo Server memory", instructions=INSTRUCTIONS)

    @mcp.tool()
    def search_memory(
        query: str,
        speaker: str | None = None,
        emotion: str | None = None,
        since: str | None = None,
        until: str | None = None,
        recording_id: str | None = None,
        top_k: int = 10,
        ctx: Context | None = None,
    ) -> dict[str, Any]:
        """Find what was said in the user's recordings, in plain language ("what did Sarah say about the
        deadline"). Filters: speaker name, emotion (anger, joy, sadness, fear, surprise, disgust,
        neutral), ISO 8601 since/until, one recording. Results come best first, each with its recording,
        speaker and times."""
        given = {"speaker": speaker, "emotion": emotion, "since": since, "until": until}
        filters = {name: value for name, value in {**given, "recording_id": recording_id}.items() if value}
        found = _call(lambda: client_for(ctx).search(query, top_k, filters))
        return {"query": query, "results": [_segment(hit) for hit in found["results"]]}

    @mcp.tool()
    def get_transcript(recording_id: str, ctx: Context | None = None) -> dict[str, Any]:
        """A recording's whole transcript: who said what, when (seconds from its start), with its title,
        date, summary and action items."""
        recording = _call(lambda: client_for(ctx).recording(recording_id))
        return {
            "id": recording["id"],
            "title": recording["title"],
            "recorded_at": recording["recorded_at"],
            "duration": recording["duration"],
            "status": recording["status"],
            "summary": recording.get("summary"),
            "action_items": recording.get("action_items", []),
            "segments": [
                {"start": s["start"], "end": s["end"], "speaker": s["speaker"], "text": s["text"]}
                for s in recording.get("segments", [])
            ],
        }

    @mcp.tool()
    def list_recordings(tag: str | None = None, ctx: Context | None = None) -> dict[str, Any]:
        """The user's recordings, newest first (at most 100), optionally only those with a tag."""
        params = {"tag": tag} if tag else {}
        found = _call(lambda: client_for(ctx).request("GET", "/recordings", params=params))
        keys = ("id", "title", "recorded_at", "duration", "status", "tags")
        return {"recordings": [{k: r.get(k) for k in keys} for r in found["recordings"]]}

    @mcp.tool()
    def list_speakers(ctx: Context | None = None) -> dict[str, Any]:
        """The voices known: enrolled people by name, others as "Speaker N", with how much each spoke."""
        found = _call(lambda: client_for(ctx).request("GET", "/speakers"))
        return {"speakers": found["speakers"]}

    @mcp.tool()
    def ask_assistant(question: str, use_memory: bool = True, ctx: Context | None = None) -> dict[str, Any]:
        """Ask Nemo's own assistant: it searches the recordings and answers in a few sentences, citing the
        moments it used (or says it found nothing). Takes a few seconds."""
        client = client_for(ctx)
        # Greedy decoding: an agent asking the same question twice gets the same answer.
        body = {
            "messages": [{"role": "user", "content": question}],
            "use_memory": use_memory,
            "temperature": 0,
        }

        def answer() -> dict[str, Any]:
            accepted = client.ask(body)
            for _id, event, data in client.events(f"/chat/{accepted['chat_id']}/events", ("done", "failed")):
                if event in ("done", "failed"):
                    return data
            raise ToolError("the answer stream ended without an answer")

        final = _call(answer)
        if final.get("state") == "failed":
            raise ToolError(final.get("error") or "the answer failed")
        return {
            "answer": final["answer"],
            "citations": [{"n": c["n"], **_segment(c)} for c in final.get("citations", [])],
            "conversation_id": final.get("conversation_id"),
        }

    return mcp


def bearer(headers: Any) -> str | None:
    value = (headers or {}).get("authorization", "") if headers is not None else ""
    scheme, _, token = value.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


class TokenGate:
    """ASGI middleware for the HTTP transport: a request without a Nemo API token that the server
    accepts (`GET /api/v1/auth/me`) is answered 401 before it reaches MCP."""

    def __init__(self, app: Any, server: str) -> None:
        self.app, self.server = app, server
        self._accepted: dict[str, float] = {}

    def _valid(self, token: str) -> bool:
        if self._accepted.get(token, 0.0) > time.monotonic():
            return True
        try:
            NemoClient(self.server, token, timeout=30).request("GET", "/auth/me")
        except ClientError:
            return False
        self._accepted[token] = time.monotonic() + TOKEN_CHECK_SECONDS
        return True

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        import anyio.to_thread

        if scope["type"] == "http":
            headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope.get("headers", [])}
            token = bearer(headers)
            if token is None or not await anyio.to_thread.run_sync(self._valid, token):
                body = (
                    b'{"error": {"code": "unauthenticated", "message": "send Authorization: Bearer <token>"}}'
                )
                await send(
                    {
                        "type": "http.response.start",
                        "status": 401,
                        "headers": [(b"content-type", b"application/json"), (b"www-authenticate", b"Bearer")],
                    }
                )
                await send({"type": "http.response.body", "body": body})
                return
        await self.app(scope, receive, send)


def run_stdio(server: str, token: str) -> None:
    client = NemoClient(server, token)
    build_server(lambda _ctx: client).run("stdio")


def run_http(server: str, host: str, port: int) -> None:
    import uvicorn

    def client_for(ctx: Context | None) -> NemoClient:
        token = bearer(ctx.headers if ctx is not None else None)
        if token is None:  # the gate lets none through; this is the second lock
            raise ToolError("no bearer token")
        return NemoClient(server, token)

    app = build_server(client_for).streamable_http_app(host=host)
    uvicorn.run(TokenGate(app, server), host=host, port=port, log_level="warning")
