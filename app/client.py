"""A small HTTP client for the API, used by `nemoctl` (and handy for scripts)."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import requests


class ClientError(RuntimeError):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status, self.code, self.message = status, code, message


class NemoClient:
    def __init__(self, server: str, token: str | None, timeout: float = 600) -> None:
        self.server = server.rstrip("/")
        self.session = requests.Session()
        self.timeout = timeout
        if token:
            self.session.headers["Authorization"] = f"Bearer {token}"

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        try:
            response = self.session.request(
                method, f"{self.server}/api/v1{path}", timeout=self.timeout, **kwargs
            )
        except requests.ConnectionError as exc:
            raise ClientError(0, "unreachable", f"cannot reach {self.server}: is the server up?") from exc
        if response.status_code >= 400:
            try:
                error = response.json()["error"]
                raise ClientError(response.status_code, error["code"], error["message"])
            except (ValueError, KeyError, TypeError):
                raise ClientError(response.status_code, "http_error", response.text[:200]) from None
        return None if response.status_code == 204 else response.json()

    def find_by_sha256(self, sha256: str) -> list[dict]:
        return self.request("GET", "/recordings", params={"sha256": sha256})["recordings"]

    def upload(self, path: Path, fields: dict[str, str] | None = None) -> dict:
        with path.open("rb") as handle:
            return self.request(
                "POST", "/recordings", files={"audio": (path.name, handle)}, data=fields or {}
            )

    def job(self, job_id: str) -> dict:
        return self.request("GET", f"/jobs/{job_id}")

    def recording(self, recording_id: str) -> dict:
        return self.request("GET", f"/recordings/{recording_id}")


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(1024 * 1024):
            digest.update(block)
    return digest.hexdigest()
