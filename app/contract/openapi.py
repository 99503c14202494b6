"""The OpenAPI 3.1 document, written from the routes the app has and the contracts they declare
(app/contract/operation.py): nothing is kept by hand, so a route added without a contract is missing from
the document and `tests/test_openapi.py` says which.

Pydantic writes JSON Schema 2020-12, which OpenAPI 3.1 takes as it is; the models land under
`components/schemas` and operations refer to them.
"""

from __future__ import annotations

import re
from typing import Any

from flask import Flask
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from app.contract.operation import Contract, Media, contract_of
from app.schemas.base import ErrorBody

DOCUMENTED_PREFIXES = ("/api/v1/", "/v1/")
AUTH_KINDS = ("user", "admin")
AUTH_ATTRIBUTE = "nemo_auth"  # set by app.auth's decorators: who may call the route
_PATH_PARAMETER = re.compile(r"<(?:[a-z]+:)?([a-z_]+)>")
REF_TEMPLATE = "#/components/schemas/{model}"


def documented_rules(app: Flask) -> list:
    """The URL rules the document must hold: every JSON route of the API and of the OpenAI-compatible
    endpoint (pages, static files and /metrics are not part of it)."""
    return sorted(
        (r for r in app.url_map.iter_rules() if r.rule.startswith(DOCUMENTED_PREFIXES)),
        key=lambda r: r.rule,
    )


def openapi_path(rule: str) -> str:
    return _PATH_PARAMETER.sub(r"{\1}", rule)


def build_document(app: Flask, version: str) -> dict[str, Any]:
    operations = []
    for rule in documented_rules(app):
        view = app.view_functions[rule.endpoint]
        contract = contract_of(view)
        if contract is None:
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            operations.append((rule, method.lower(), contract, getattr(view, AUTH_ATTRIBUTE, None)))
    refs, defs = _schemas(operations)
    paths: dict[str, dict] = {}
    for rule, method, contract, auth in operations:
        paths.setdefault(openapi_path(rule.rule), {})[method] = _operation(rule, contract, auth, refs)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Nemo Server API",
            "version": version,
            "description": (
                "Transcripts with speakers and emotions, a searchable memory and an assistant that cites "
                "it. Sign in with `POST /api/v1/auth/login` (a session cookie; unsafe methods then need "
                "the `X-CSRFToken` header from `GET /api/v1/auth/csrf`) or send a personal token as "
                "`Authorization: Bearer <token>` (`POST /api/v1/auth/tokens`, or "
                "`nemoctl token create <user>`)."
            ),
        },
        "servers": [{"url": "/"}],
        "paths": paths,
        "components": {
            "schemas": defs,
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "description": "a personal API token"},
                "session": {"type": "apiKey", "in": "cookie", "name": "session"},
            },
        },
    }


def _models(contract: Contract) -> list[tuple[type[BaseModel], str]]:
    found = [(ErrorBody, "serialization")]
    for model in (contract.body, contract.query, contract.form):
        if model is not None:
            found.append((model, "validation"))
    for answer in contract.responses.values():
        if isinstance(answer, type) and issubclass(answer, BaseModel):
            found.append((answer, "serialization"))
    return found


def _schemas(operations: list) -> tuple[dict, dict]:
    wanted = list(dict.fromkeys(m for _rule, _method, c, _auth in operations for m in _models(c)))
    refs, top = models_json_schema(wanted, ref_template=REF_TEMPLATE)
    return refs, top.get("$defs", {})


def _ref(refs: dict, model: type[BaseModel], mode: str) -> dict:
    return refs[(model, mode)]


def _parameters(rule, contract: Contract) -> list[dict]:
    params = [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string", "minLength": 1}}
        for name in _PATH_PARAMETER.findall(rule.rule)
    ]
    if contract.query is not None:
        properties = contract.query.model_json_schema(ref_template=REF_TEMPLATE)["properties"]
        for name, info in contract.query.model_fields.items():
            schema = properties[info.alias or name]
            params.append(
                {
                    "name": info.alias or name,
                    "in": "query",
                    "required": info.is_required(),
                    "description": info.description or "",
                    "schema": {k: v for k, v in schema.items() if k != "description"},
                    **({"explode": True, "style": "form"} if schema.get("type") == "array" else {}),
                }
            )
    return params


def _request_body(contract: Contract, refs: dict) -> dict | None:
    content: dict[str, Any] = {}
    if contract.body is not None:
        content["application/json"] = {"schema": _ref(refs, contract.body, "validation")}
        if contract.form_or_json:
            content["multipart/form-data"] = {"schema": _ref(refs, contract.body, "validation")}
    if contract.form is not None or contract.uploads:
        content["multipart/form-data"] = {"schema": _multipart_schema(contract)}
    if not content:
        return None
    required = not (contract.body_optional or contract.form_or_json) or bool(contract.uploads)
    return {"required": required, "content": content}


def _multipart_schema(contract: Contract) -> dict:
    """One object: the form model's fields beside the files (an `allOf` of the two could not be met, as
    each refuses the other's fields)."""
    schema: dict[str, Any] = {"type": "object", "properties": {}, "required": []}
    if contract.form is not None:
        fields = contract.form.model_json_schema(ref_template=REF_TEMPLATE)
        schema["properties"].update(fields.get("properties", {}))
        schema["required"] += fields.get("required", [])
        schema["additionalProperties"] = fields.get("additionalProperties", True)
    for name, upload in contract.uploads.items():
        one = {"type": "string", "format": "binary", "contentMediaType": "application/octet-stream"}
        schema["properties"][name] = {"type": "array", "items": one} if upload.many else one
        schema["properties"][name]["description"] = upload.description
        if upload.required:
            schema["required"].append(name)
    return schema


def _responses(contract: Contract, refs: dict) -> dict[str, Any]:
    answers: dict[str, Any] = {}
    for status, declared in sorted(contract.responses.items()):
        if declared is None:
            answers[str(status)] = {"description": "done; no body"}
        elif isinstance(declared, Media):
            answers[str(status)] = {
                "description": declared.description,
                "content": {media: {"schema": _media_schema(media, declared)} for media in declared.types},
            }
        else:
            answers[str(status)] = {
                "description": (declared.__doc__ or declared.__name__).strip().split("\n")[0],
                "content": {"application/json": {"schema": _ref(refs, declared, "serialization")}},
            }
    error = {"application/json": {"schema": _ref(refs, ErrorBody, "serialization")}}
    answers["4XX"] = {"description": "the request was refused; `error.message` says why", "content": error}
    answers.setdefault(
        "503",
        {
            "description": "the queue or the database is restarting; nothing was done: retry later",
            "content": error,
        },
    )
    return answers


def _media_schema(media: str, declared: Media) -> dict:
    if media == "application/json":
        return {"type": "object"}
    return {"type": "string", "format": "binary"} if declared.binary else {"type": "string"}


def _operation(rule, contract: Contract, auth: str | None, refs: dict) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "operationId": rule.endpoint.replace(".", "_"),
        "summary": contract.summary,
        "tags": list(contract.tags) or [rule.rule.split("/")[3 if rule.rule.startswith("/api/") else 2]],
        "parameters": _parameters(rule, contract),
        "responses": _responses(contract, refs),
    }
    if contract.description:
        spec["description"] = contract.description
    body = _request_body(contract, refs)
    if body is not None:
        spec["requestBody"] = body
    if auth in AUTH_KINDS:
        spec["security"] = [{"bearer": []}, {"session": []}]
        if auth == "admin":
            spec["description"] = (spec.get("description", "") + " Admins only.").strip()
    else:
        spec["security"] = []
    if not spec["parameters"]:
        del spec["parameters"]
    return spec
