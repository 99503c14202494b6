"""What a route accepts and answers, declared once with pydantic models: the same declaration checks the
request before the view runs and writes the route's part of the OpenAPI document (app/contract/openapi.py).

A view says `@operation(summary=..., body=SearchBody, responses={200: SearchResults})` and receives the
checked body as `body=` (the query as `query=`, the multipart fields as `form=`). A request that does not
fit is a 400 naming the field (`param`) before any work is done. With `NEMO_CHECK_RESPONSES=1` (the tests
set it) every JSON answer is checked against the model declared for its status too, so the document cannot
drift from what the API really sends: a mismatch is a logged 500 that fails the test that met it.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache, wraps
from types import UnionType
from typing import Any, Union, get_args, get_origin

from flask import Response, current_app, has_request_context, make_response, request
from pydantic import BaseModel, ValidationError
from werkzeug.datastructures import MultiDict

from app.errors import OPENAI_PREFIX, ApiError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Media:
    """A response (or upload) that is not a JSON model: audio, an export, an event stream."""

    types: tuple[str, ...]
    description: str
    binary: bool = False


@dataclass(frozen=True)
class Upload:
    """A multipart file field; `many` when the field may repeat."""

    description: str
    required: bool = True
    many: bool = False


@dataclass(frozen=True)
class Contract:
    summary: str
    description: str
    tags: tuple[str, ...]
    body: type[BaseModel] | None
    body_optional: bool
    query: type[BaseModel] | None
    form: type[BaseModel] | None
    uploads: dict[str, Upload]
    responses: dict[int, type[BaseModel] | Media | None]
    form_or_json: bool = False


CONTRACT_ATTRIBUTE = "nemo_contract"


def contract_of(view: Callable) -> Contract | None:
    return getattr(view, CONTRACT_ATTRIBUTE, None)


def operation(
    summary: str,
    *,
    tags: tuple[str, ...] = (),
    body: type[BaseModel] | None = None,
    body_optional: bool = False,
    query: type[BaseModel] | None = None,
    form: type[BaseModel] | None = None,
    uploads: dict[str, Upload] | None = None,
    responses: dict[int, type[BaseModel] | Media | None],
    form_or_json: bool = False,
) -> Callable[[Callable], Callable]:
    """Declare (and enforce) a route's request and responses. Place it below the auth decorator, so that
    a caller who is not signed in hears 401 before any field is judged."""

    def decorate(view: Callable) -> Callable:
        contract = Contract(
            summary=summary,
            description=_docstring(view),
            tags=tags,
            body=body,
            body_optional=body_optional,
            query=query,
            form=form,
            uploads=uploads or {},
            responses=responses,
            form_or_json=form_or_json,
        )

        @wraps(view)
        def checked(*args: Any, **kwargs: Any):
            kwargs.update(_parsed_request(contract))
            answer = view(*args, **kwargs)
            if current_app.config["CHECK_RESPONSES"]:
                _check_response(contract, make_response(answer))
            return answer

        setattr(checked, CONTRACT_ATTRIBUTE, contract)
        return checked

    return decorate


def _docstring(view: Callable) -> str:
    return " ".join((view.__doc__ or "").split())


def _parsed_request(contract: Contract) -> dict[str, BaseModel]:
    parsed: dict[str, BaseModel] = {}
    if contract.query is not None:
        parsed["query"] = validated(contract.query, _query_values(contract.query))
    if contract.form_or_json and not request.is_json:
        parsed["body"] = validated(contract.body, form_values(contract.body, request.form, set()))
    elif contract.body is not None:
        parsed["body"] = validated(contract.body, _json_object(contract.body_optional), strict=True)
    if contract.form is not None:
        parsed["form"] = validated(
            contract.form, form_values(contract.form, request.form, set(contract.uploads))
        )
    for name, upload in contract.uploads.items():
        if upload.required and not any(f and f.filename for f in request.files.getlist(name)):
            raise ApiError(
                400, "missing_file", f"send the audio as a multipart field named {name!r}", param=name
            )
    return parsed


def _json_object(optional: bool) -> dict:
    if optional and not request.get_data(cache=True):
        return {}
    if not request.is_json:
        raise ApiError(415, "json_required", "send a JSON body with Content-Type: application/json")
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ApiError(400, "bad_json", "the body must be a JSON object")
    return body


def _is_list(annotation: Any) -> bool:
    origin = get_origin(annotation)
    if origin in (list, tuple, set):
        return True
    return origin in (Union, UnionType) and any(_is_list(arg) for arg in get_args(annotation))


@cache
def _list_fields(model: type[BaseModel]) -> frozenset[str]:
    """Fields that a query string or form may repeat (`?ids=a&ids=b`)."""
    names = set()
    for name, info in model.model_fields.items():
        if _is_list(info.annotation):
            names.update({name, info.alias or name})
    return frozenset(names)


def _query_values(model: type[BaseModel]) -> dict[str, Any]:
    repeated = _list_fields(model)
    return {
        key: request.args.getlist(key) if key in repeated else request.args.get(key) for key in request.args
    }


def form_values(model: type[BaseModel], form: MultiDict, uploads: set[str]) -> dict[str, Any]:
    """The multipart text fields, a blank one as absent (a form's empty input means "the default"); an
    upload's name sent as text is judged as a missing file instead."""
    repeated = _list_fields(model)
    values: dict[str, Any] = {}
    for key in form:
        if key in uploads:
            continue
        if key in repeated:
            values[key] = [v for v in form.getlist(key) if v.strip()]
        elif (value := form.get(key, "")).strip():
            values[key] = value
    return values


def validated(model: type[BaseModel], values: dict[str, Any], strict: bool = False) -> BaseModel:
    """`values` as `model`, or the 400 that names the first field at fault and says why. JSON is read
    strictly (a JSON number is a number, `"10"` is not); query strings and forms are text by nature."""
    try:
        return model.model_validate(values, strict=strict)
    except ValidationError as exc:
        raise request_error(exc) from None


def request_error(exc: ValidationError) -> ApiError:
    first = exc.errors(include_url=False)[0]
    where = field_path(first["loc"])
    kind = first["type"]
    if kind == "missing":
        message = f"{where} is required"
    elif kind == "extra_forbidden":
        message = f"unknown field {where!r}"
    elif kind == "value_error":
        message = str(first["ctx"]["error"])
    elif kind == "string_too_long":
        message = f"{where} is longer than the limit of {first['ctx']['max_length']} characters"
    elif kind == "string_too_short":
        message = f"{where} must not be empty"
    else:
        message = f"{where}: {first['msg'][:1].lower()}{first['msg'][1:]}"
    openai = has_request_context() and request.path.startswith(OPENAI_PREFIX)
    code = ("missing_required_parameter" if kind == "missing" else "invalid_value") if openai else "bad_field"
    param = str(first["loc"][0]).removesuffix("[]") if first["loc"] else None
    return ApiError(400, code, message, param=param)


# Where pydantic's error location names a member of a union (`constrained-float`, `literal['x']`, `str`)
# rather than a field.
_TYPE_TAGS = {"str", "int", "float", "bool", "none", "list", "dict", "tuple", "set"}
_TYPE_TAG = re.compile(r"[a-z]+-[a-z-]+(\[.*\])?|[a-z-]+\[.+\]")


def field_path(loc: tuple) -> str:
    """`messages[0].role` for pydantic's ('messages', 0, 'role')."""
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        elif not isinstance(part, str) or part in _TYPE_TAGS or _TYPE_TAG.fullmatch(part):
            continue
        else:
            path += f".{part}" if path else part
    return path or "body"


class ResponseMismatch(RuntimeError):
    """The view answered with something its contract does not declare: a bug in one or the other."""


def _check_response(contract: Contract, response: Response) -> None:
    status = response.status_code
    if status not in contract.responses:
        if status >= 400:
            return  # errors raised by the view itself are ApiErrors, answered in the one error shape
        raise ResponseMismatch(f"{request.endpoint} answered {status}, which its contract does not list")
    declared = contract.responses[status]
    if declared is None or isinstance(declared, Media) or response.is_streamed:
        return
    try:
        declared.model_validate(response.get_json())
    except ValidationError as exc:
        log.error("%s answered %s outside its contract: %s", request.endpoint, status, exc)
        raise ResponseMismatch(f"{request.endpoint}: {exc}") from exc
