"""Server-rendered pages. They fetch their data from the JSON API, with the session cookie and CSRF header."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from app import extensions as ext
from app import languages, quotas
from app.auth import authenticate, change_own_password, sign_out
from app.errors import ApiError
from app.forms import LoginForm, PasswordForm, posted_form
from app.schemas.recordings import MAX_SPEAKERS_LIMIT
from app.store import audit, recordings
from app.webhooks.events import EVENTS
from models.labels import EMOTIONS

pages = Blueprint("pages", __name__)


def local_path(target: str) -> str | None:
    """`target` if it is a path on this site, else None: an open redirect would turn the login page into
    a phishing aid. Browsers drop tabs and newlines and read a backslash as a slash, so "/<tab>/evil.example"
    and "/<backslash>evil.example" lead off-site: any control character, space or backslash is refused."""
    if not target.startswith("/") or any(c in target for c in "\\ ") or not target.isprintable():
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or target.startswith("//"):
        return None
    return target


@pages.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm(formdata=posted_form())
    error = None
    if form.validate_on_submit():
        try:
            authenticate(form.username.data, form.password.data)
        except ApiError as exc:
            error = exc.message
        else:
            return redirect(local_path(request.args.get("next", "")) or url_for("pages.upload"))
    changed = request.args.get("changed") == "1"
    return render_template("login.html", form=form, error=error, changed=changed), 401 if error else 200


@pages.post("/logout")
@login_required
def logout():
    sign_out()
    return redirect(url_for("pages.login"))


def _account_page(form: PasswordForm, error: str | None = None, status: int = 200):
    with ext.store().tx(readonly=True) as tx:
        quota = quotas.quota_of(tx, current_user.id, ext.config())
    return render_template("account.html", quota=quota, form=form, error=error), status


@pages.get("/account")
@login_required
def account():
    return _account_page(PasswordForm())


@pages.post("/account/password")
@login_required
def change_password():
    """The page's password change: every session of the account ends, this one too."""
    form = PasswordForm(formdata=posted_form())
    if not form.validate_on_submit():
        problems = [message for messages in form.errors.values() for message in messages]
        return _account_page(form, "; ".join(problems) or "check the form", 400)
    try:
        change_own_password(form.current_password.data, form.new_password.data, "via the account page")
    except ApiError as exc:
        return _account_page(form, exc.message, exc.status)
    return redirect(url_for("pages.login", changed="1"))


@pages.get("/")
@login_required
def upload():
    return render_template(
        "upload.html",
        max_upload=ext.config().MAX_UPLOAD_BYTES,
        languages=languages.by_name(),
        max_speakers=MAX_SPEAKERS_LIMIT,
    )


@pages.get("/recordings")
@login_required
def recording_list():
    return render_template("recordings.html")


@pages.get("/speakers")
@login_required
def speakers():
    return render_template("speakers.html")


@pages.get("/webhooks")
@login_required
def webhooks():
    return render_template("webhooks.html", events=EVENTS)


@pages.get("/search")
@login_required
def search():
    return render_template("search.html", emotions=EMOTIONS)


@pages.get("/emotions")
@login_required
def emotions():
    return render_template("emotions.html", emotions=EMOTIONS)


@pages.get("/recordings/<recording_id>")
@login_required
def recording(recording_id: str):
    with ext.store().tx() as tx:
        if recordings.get_recording(tx, recording_id, current_user.id) is None:
            abort(404)
    return render_template("recording.html", recording_id=recording_id)


@pages.get("/admin")
@login_required
def admin():
    """Users, their tokens, the audit log, workers and queues: admins only (others get 403)."""
    if current_user.role != "admin":
        abort(403)
    config = ext.config()
    flower = config.FLOWER_URL or f"{request.scheme}://{request.host.rsplit(':', 1)[0]}:{config.FLOWER_PORT}/"
    return render_template("admin.html", actions=sorted(audit.ACTIONS), flower_url=flower)


@pages.get("/chat")
@login_required
def chat():
    return render_template("chat.html")
