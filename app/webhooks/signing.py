"""How a delivery is signed, and how a receiver checks it.

`X-Nemo-Signature: sha256=<hex>` is HMAC-SHA256, keyed with the hook's secret, over
`<X-Nemo-Timestamp>.<body>` (the Unix time in seconds, a dot, the raw body bytes). Binding the time in
stops a captured delivery from being replayed later: a receiver refuses one whose timestamp is more than
a few minutes from its clock, then compares signatures in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import time

TOLERANCE_SECONDS = 300


def signature(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"sha256={mac.hexdigest()}"


def verify(
    secret: str,
    timestamp: str,
    body: bytes,
    signed: str,
    now: float | None = None,
    tolerance: float = TOLERANCE_SECONDS,
) -> bool:
    """What a receiver does with the headers and the raw body it got."""
    try:
        stamp = int(timestamp)
    except ValueError:
        return False
    if abs((time.time() if now is None else now) - stamp) > tolerance:
        return False
    return hmac.compare_digest(signature(secret, stamp, body), signed)
