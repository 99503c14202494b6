"""The client commands of `nemoctl` (submit, watch, status, export, enroll, search, chat, mcp): each
talks to a running server over its HTTP API with a token, so they work from any machine that can reach it.
They depend on the HTTP client (`app.client.http`) and nothing of the server."""

from __future__ import annotations

import json
import signal
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click

from app.client.http import ClientError, NemoClient
from app.client.submit import collect_files, submit_all, wait_all
from app.client.watch import FolderWatch

DEFAULT_SERVER = "http://127.0.0.1:8000"
# What `GET /api/v1/recordings/<id>/export?format=` serves (the server checks them too).
EXPORT_FORMATS = ("json", "rttm", "srt", "txt", "vtt")


def _client(server: str, token: str | None):
    if not token:
        raise click.UsageError("give --token or set NEMO_TOKEN (create one with `nemoctl token create NAME`)")
    return NemoClient(server, token)


@contextmanager
def reported_api_errors() -> Iterator[None]:
    """Turn an API error into a one-line message and exit status 1, instead of a traceback."""
    try:
        yield
    except ClientError as exc:
        raise click.ClickException(exc.message) from exc


server_option = click.option(
    "--server",
    envvar="NEMO_URL",
    default=DEFAULT_SERVER,
    show_default=True,
    help="Base URL of the web server (env NEMO_URL).",
)
token_option = click.option("--token", envvar="NEMO_TOKEN", help="API token (env NEMO_TOKEN).")
json_option = click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--wait", is_flag=True, help="Wait for every job to finish.")
@click.option("--force", is_flag=True, help="Submit files even if the same content was submitted before.")
@server_option
@token_option
@json_option
def submit(
    paths: tuple[Path, ...], wait: bool, force: bool, server: str, token: str | None, as_json: bool
) -> None:
    """Upload audio files, and folders searched for audio files."""
    client = _client(server, token)
    try:
        files = collect_files(list(paths))
    except FileNotFoundError as exc:
        raise click.ClickException(str(exc)) from exc
    if not files:
        raise click.ClickException("no audio files found")
    show = not as_json and sys.stderr.isatty()
    with reported_api_errors():
        outcomes = submit_all(client, files, force, show)
        if wait:
            wait_all(client, outcomes, show)
    if as_json:
        click.echo(json.dumps([o.as_dict() for o in outcomes], indent=2))
    else:
        for o in outcomes:
            detail = f" ({o.error})" if o.error else ""
            click.echo(
                f"{o.status:9} {o.file} job={o.job_id or '-'} recording={o.recording_id or '-'}{detail}"
            )
    if any(o.status in ("failed", "rejected", "cancelled") for o in outcomes):
        sys.exit(1)


@click.command()
@click.argument("folder", type=click.Path(path_type=Path, file_okay=False, exists=True))
@click.option("--speakers", type=int, help="How many people speak in each recording.")
@click.option("--max-speakers", type=int, help="At most this many people speak in each recording.")
@click.option("--tag", "tags", multiple=True, help="A tag for every recording sent (repeatable).")
@click.option("--language", help="The language spoken (ISO 639-1); detected when not given.")
@click.option("--interval", type=float, default=2.0, show_default=True, help="Seconds between scans.")
@click.option(
    "--settle",
    type=float,
    default=5.0,
    show_default=True,
    help="Seconds a file's size must stay the same before it is sent (a copy still writing is waited for).",
)
@click.option(
    "--state", "state_path", type=click.Path(path_type=Path), help="State file [FOLDER/.nemo-watch.json]."
)
@click.option(
    "--once", is_flag=True, help="Send what is there (waiting for files still being written), then stop."
)
@server_option
@token_option
def watch(
    folder: Path,
    speakers: int | None,
    max_speakers: int | None,
    tags: tuple[str, ...],
    language: str | None,
    interval: float,
    settle: float,
    state_path: Path | None,
    once: bool,
    server: str,
    token: str | None,
) -> None:
    """Send new audio files in FOLDER (and its subfolders) as they appear, each content once."""
    fields = {
        name: str(value)
        for name, value in (
            ("speakers", speakers),
            ("max_speakers", max_speakers),
            ("tags", ",".join(tags) if tags else None),
            ("language", language),
        )
        if value is not None
    }
    try:
        watcher = FolderWatch(_client(server, token), folder, fields, settle, state_path)
    except RuntimeError as exc:
        raise click.ClickException(str(exc)) from exc
    stop = []
    signal.signal(signal.SIGTERM, lambda *_args: stop.append(True))
    click.echo(f"watching {watcher.root} (state in {watcher.state_path})", err=True)
    with reported_api_errors():
        try:
            while not stop:
                for event in watcher.scan():
                    click.echo(event.line())
                if once and not watcher.waiting:
                    break
                time.sleep(interval)
        except KeyboardInterrupt:
            pass


@click.command()
@click.argument("job_id")
@server_option
@token_option
@json_option
def status(job_id: str, server: str, token: str | None, as_json: bool) -> None:
    """Show a job's state."""
    with reported_api_errors():
        job = _client(server, token).job(job_id)
    if as_json:
        click.echo(json.dumps(job, indent=2))
    else:
        click.echo(
            f"{job['id']} {job['state']} stage={job['stage']} progress={job['progress']:.0%}"
            + (f" error={job['error']}" if job["error"] else "")
        )


@click.command()
@click.argument("recording_id")
@click.option("--format", "fmt", type=click.Choice(EXPORT_FORMATS), default="txt", show_default=True)
@click.option("--output", "-o", type=click.Path(path_type=Path), help="Write to this file instead of stdout.")
@server_option
@token_option
def export(recording_id: str, fmt: str, output: Path | None, server: str, token: str | None) -> None:
    """Export a transcript with speaker labels and times."""
    with reported_api_errors():
        text = _client(server, token).export(recording_id, fmt)
    if output:
        output.write_text(text)
    else:
        click.echo(text, nl=False)


@click.command()
@click.argument("name")
@click.argument(
    "files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@click.option("--wait", is_flag=True, help="Wait until the voice profile is computed.")
@server_option
@token_option
@json_option
def enroll(
    name: str, files: tuple[Path, ...], wait: bool, server: str, token: str | None, as_json: bool
) -> None:
    """Enroll a voice: NAME and one or more audio samples of that person speaking."""
    client = _client(server, token)
    with reported_api_errors():
        accepted = client.enroll(name, list(files))
        if wait:
            while (job := client.job(accepted["job_id"]))["state"] not in ("done", "failed", "cancelled"):
                time.sleep(0.5)
            accepted["state"] = job["state"]
    if as_json:
        click.echo(json.dumps(accepted, indent=2))
    else:
        click.echo(
            f"speaker {accepted['name']} id={accepted['speaker_id']} job={accepted['job_id']}"
            + (f" {accepted['state']}" if "state" in accepted else "")
        )
    if accepted.get("state") not in (None, "done"):
        sys.exit(1)


@click.command()
@click.argument("query")
@click.option("--top-k", "-k", type=int, default=10, show_default=True, help="How many results.")
@click.option("--speaker", help="Only what this speaker said (name, 'Speaker N' or id).")
@click.option("--emotion", help="Only segments with this emotion.")
@click.option("--recording", "recording_id", help="Only this recording.")
@click.option("--since", help="Only what was said at or after this date/time (ISO 8601).")
@click.option("--until", help="Only what was said at or before this date/time (ISO 8601).")
@click.option("--last", "last_n_recordings", type=int, help="Only the last N recordings.")
@server_option
@token_option
@json_option
def search(
    query: str,
    top_k: int,
    speaker: str | None,
    emotion: str | None,
    recording_id: str | None,
    since: str | None,
    until: str | None,
    last_n_recordings: int | None,
    server: str,
    token: str | None,
    as_json: bool,
) -> None:
    """Search everything said in your recordings."""
    given = {
        "speaker": speaker,
        "emotion": emotion,
        "recording_id": recording_id,
        "since": since,
        "until": until,
        "last_n_recordings": last_n_recordings,
    }
    filters = {name: value for name, value in given.items() if value is not None}
    with reported_api_errors():
        answer = _client(server, token).search(query, top_k, filters)
    if as_json:
        click.echo(json.dumps(answer, indent=2))
        return
    for hit in answer["results"]:
        when = f"{_clock(hit['start'])}-{_clock(hit['end'])}"
        who = f" {hit['speaker']}:" if hit["speaker"] else ""
        mood = f" ({hit['emotion']})" if hit["emotion"] else ""
        click.echo(f"{hit['score']:.4f}  {hit['recording_title']} [{when}]{who} {hit['text']}{mood}")
        click.echo(f"        recording={hit['recording_id']} segment={hit['segment_id']}")
    if not answer["results"]:
        click.echo("no results")


@click.command()
@click.argument("message")
@click.option("--no-memory", is_flag=True, help="Answer without searching your recordings.")
@click.option("--max-tokens", type=int, default=256, show_default=True)
@click.option("--temperature", type=float, default=0.2, show_default=True)
@click.option("--conversation", "conversation_id", help="Continue this conversation (its id).")
@server_option
@token_option
@json_option
def chat(
    message: str,
    no_memory: bool,
    max_tokens: int,
    temperature: float,
    conversation_id: str | None,
    server: str,
    token: str | None,
    as_json: bool,
) -> None:
    """Ask the assistant; the answer streams as it is written, then its sources."""
    client = _client(server, token)
    body = {
        "messages": [{"role": "user", "content": message}],
        "use_memory": not no_memory,
        "max_tokens": max_tokens,
        "temperature": temperature,
    }
    if conversation_id:
        body["conversation_id"] = conversation_id
    final: dict = {}
    with reported_api_errors():
        accepted = client.ask(body)
        for _id, event, data in client.events(f"/chat/{accepted['chat_id']}/events", ("done", "failed")):
            if event == "token" and not as_json:
                click.echo(data["text"], nl=False)
            elif event == "restart" and not as_json:
                click.echo("\n[the worker restarted; answering again]")
            elif event == "revised" and not as_json:
                click.echo(f"\n[revised: {data['reason']}]\n{data['answer']}", nl=False)
            elif event in ("done", "failed"):
                final = data
    if as_json:
        click.echo(json.dumps(final, indent=2))
    elif final.get("state") == "failed":
        raise click.ClickException(final.get("error") or "the answer failed")
    else:
        click.echo()
        for cited in final.get("citations", []):
            when = f"{_clock(cited['start'])}-{_clock(cited['end'])}"
            who = f" {cited['speaker']}:" if cited["speaker"] else ""
            click.echo(f"[{cited['n']}] {cited['recording_title']} [{when}]{who} {cited['text']}")
            click.echo(f"     recording={cited['recording_id']} segment={cited['segment_id']}")
        click.echo(f"conversation={final.get('conversation_id')}")
    if final.get("state") == "failed":
        sys.exit(1)


@click.command()
@click.option("--http", "over_http", is_flag=True, help="Serve Streamable HTTP instead of stdio.")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on (with --http).")
@click.option("--port", type=int, default=8765, show_default=True, help="Port to listen on (with --http).")
@server_option
@token_option
def mcp(over_http: bool, host: str, port: int, server: str, token: str | None) -> None:
    """Serve the memory to AI assistants over the Model Context Protocol: stdio as the user of
    NEMO_TOKEN, or Streamable HTTP at /mcp where each request's bearer token says whose memory it is."""
    from app.client.mcp_server import run_http, run_stdio

    if over_http:
        click.echo(
            f"MCP over Streamable HTTP at http://{host}:{port}/mcp (bearer: a Nemo API token)", err=True
        )
        run_http(server, host, port)
        return
    if not token:
        raise click.UsageError("give --token or set NEMO_TOKEN (create one with `nemoctl token create NAME`)")
    run_stdio(server, token)


def _clock(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


CLIENT_COMMANDS = (submit, watch, status, export, enroll, search, chat, mcp)
