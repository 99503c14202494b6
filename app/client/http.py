"""A small HTTP client for the API, used by `nemoctl` (and handy for scripts)."""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import requests

MAX_RATE_LIMIT_WAITS = 5


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

    def _send(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        url = f"{self.server}/api/v1{path}"
        for _attempt in range(MAX_RATE_LIMIT_WAITS):
            try:
                response = self.session.request(method, url, timeout=self.timeout, **kwargs)
            except requests.ConnectionError as exc:
                raise ClientError(0, "unreachable", f"cannot reach {self.server}: is the server up?") from exc
            # Reads are safe to repeat: wait out a rate limit rather than fail a long batch.
            if response.status_code != 429 or method != "GET":
                break
            time.sleep(min(60, int(response.headers.get("Retry-After", "5")) + 1))
        return response

    @staticmethod
    def _checked(response: requests.Response) -> requests.Response:
        if response.status_code >= 400:
            try:
                error = response.json()["error"]
                code, message = error["code"], error["message"]
            except (ValueError, KeyError, TypeError):
                code, message = "http_error", response.text[:200]
            raise ClientError(response.status_code, code, message)
        return response

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self._checked(self._send(method, path, **kwargs))
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

    def jobs(self, job_ids: list[str]) -> list[dict]:
        found: list[dict] = []
        for start in range(0, len(job_ids), 200):
            found += self.request("GET", "/jobs", params={"ids": ",".join(job_ids[start : start + 200])})[
                "jobs"
            ]
        return found

    def recording(self, recording_id: str) -> dict:
        return self.request("GET", f"/recordings/{recording_id}")

    def export(self, recording_id: str, fmt: str) -> str:
        return self._checked(
            self._send("GET", f"/recordings/{recording_id}/export", params={"format": fmt})
        ).text

    def search(self, query: str, top_k: int = 10, filters: dict[str, Any] | None = None) -> dict:
        return self.request(
            "POST", "/search", json={"query": query, "top_k": top_k, "filters": filters or {}}
        )

    def ask(self, body: dict[str, Any]) -> dict:
        return self.request("POST", "/chat", json=body)

    def events(
        self, path: str, terminal: tuple[str, ...], last_event_id: str | None = None
    ) -> Iterator[tuple[str | None, str, dict]]:
        """Server-Sent Events of `path` as (id, event, data) until a terminal event, reconnecting with
        Last-Event-ID whenever the connection drops (nothing is missed or repeated)."""
        while True:
            headers = {"Last-Event-ID": last_event_id} if last_event_id else {}
            try:
                with self.session.get(
                    f"{self.server}/api/v1{path}", headers=headers, stream=True, timeout=self.timeout
                ) as response:
                    self._checked(response)
                    for event_id, event, data in parse_sse(response.iter_lines(decode_unicode=True)):
                        last_event_id = event_id or last_event_id
                        yield event_id, event, data
                        if event in terminal:
                            return
            except (requests.ConnectionError, requests.exceptions.ChunkedEncodingError):
                time.sleep(1)

    def enroll(self, name: str, paths: list[Path]) -> dict:
        handles = [path.open("rb") for path in paths]
        try:
            files = [("audio", (path.name, handle)) for path, handle in zip(paths, handles, strict=True)]
            return self.request("POST", "/speakers", data={"name": name}, files=files)
        finally:
            for handle in handles:
                handle.close()


def parse_sse(lines: Iterable[str]) -> Iterator[tuple[str | None, str, dict]]:
    """(id, event, data) from the lines of an SSE response; comments and retry hints are skipped."""
    event_id, event, data = None, "message", []
    for line in lines:
        if line == "":
            if data:
                yield event_id, event, json.loads("\n".join(data))
            event_id, event, data = None, "message", []
        elif line.startswith("id:"):
            event_id = line[3:].strip()
        elif line.startswith("event:"):
            event = line[6:].strip()
        elif line.startswith("data:"):
            data.append(line[5:].strip())


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(1024 * 1024):
            digest.update(block)
    return digest.hexdigest()
