"""The API's own description: the OpenAPI 3.1 document, written from the routes' contracts, and a page to
browse it and try calls (Swagger UI, vendored under static/vendor: no CDN)."""

from __future__ import annotations

from importlib import metadata

from flask import current_app, jsonify, render_template

from app.api import api
from app.contract import Media, operation
from app.contract.openapi import build_document

TAGS = ("docs",)


def _version() -> str:
    try:
        return metadata.version("nemo-server")
    except metadata.PackageNotFoundError:
        return "0.0.0"


def openapi_document() -> dict:
    """Built once per process, on first use: the routes do not change while it runs."""
    document = current_app.extensions.get("nemo.openapi")
    if document is None:
        document = current_app.extensions["nemo.openapi"] = build_document(current_app, _version())
    return document


@api.get("/openapi.json")
@operation(
    "This API's OpenAPI 3.1 document",
    tags=TAGS,
    responses={200: Media(("application/json",), "the OpenAPI 3.1 document")},
)
def openapi_json():
    return jsonify(openapi_document())


@api.get("/docs")
@operation(
    "Browse this API and try it", tags=TAGS, responses={200: Media(("text/html",), "the Swagger UI page")}
)
def api_docs():
    """Calls made from the page use your signed-in session (it adds the CSRF token) or a token you give
    under Authorize."""
    return render_template("api_docs.html")
