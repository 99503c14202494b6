"""The command-line and script client: `http` (NemoClient, the API over HTTP), `submit` (batch uploads)
and `commands` (the `nemoctl` client commands). Nothing here imports the server."""

from app.client.http import ClientError, NemoClient, file_sha256, parse_sse

__all__ = ["ClientError", "NemoClient", "file_sha256", "parse_sse"]
