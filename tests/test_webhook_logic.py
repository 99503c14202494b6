"""Which webhook URLs are refused (SSRF), and the delivery signature a receiver checks."""

from __future__ import annotations

import pytest

from app.webhooks import signing
from app.webhooks.urls import UnsafeUrl, check_url, parse_networks


def resolving_to(*addresses: str):
    return lambda _host, _port: list(addresses)


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1", "10.1.2.3", "172.16.0.9", "192.168.1.20", "169.254.169.254", "100.64.0.1", "0.0.0.0",
        "224.0.0.1", "::1", "fe80::1", "fc00::5", "::ffff:127.0.0.1", "::ffff:10.0.0.1",
    ],
)  # fmt: skip
def test_a_host_that_resolves_inside_is_refused(address):
    with pytest.raises(UnsafeUrl):
        check_url("https://hooks.example.org/in", resolver=resolving_to(address))


def test_one_inside_address_among_public_ones_is_enough_to_refuse():
    with pytest.raises(UnsafeUrl):
        check_url("https://hooks.example.org/in", resolver=resolving_to("93.184.215.14", "10.0.0.7"))


def test_public_addresses_and_networks_an_admin_allows_pass():
    check_url("https://hooks.example.org/in", resolver=resolving_to("93.184.215.14", "2606:2800:21f:cb07::1"))
    lan = parse_networks("192.168.1.20/32, 10.0.0.0/8")
    check_url("http://homeassistant.lan:8123/api/webhook/x", lan, resolving_to("192.168.1.20"))
    with pytest.raises(UnsafeUrl):
        check_url("http://homeassistant.lan:8123/api/webhook/x", lan, resolving_to("192.168.1.21"))


@pytest.mark.parametrize(
    "url",
    [
        "ftp://example.org/x",
        "file:///etc/passwd",
        "http:///nohost",
        "https://example.org:99999/x",
        "x" * 2001,
    ],
)
def test_what_is_not_an_http_url_is_refused(url):
    with pytest.raises(UnsafeUrl):
        check_url(url, resolver=resolving_to("93.184.215.14"))


def test_a_host_that_does_not_resolve_is_refused():
    def nowhere(_host, _port):
        raise OSError("Name or service not known")

    with pytest.raises(UnsafeUrl, match="does not resolve"):
        check_url("https://no-such-host.invalid/", resolver=nowhere)


def test_a_signature_holds_for_its_body_and_time_only():
    body = b'{"event": "job.done"}'
    signed = signing.signature("s3cret", 1_800_000_000, body)
    assert signed.startswith("sha256=")
    assert signing.verify("s3cret", "1800000000", body, signed, now=1_800_000_060)
    assert not signing.verify("s3cret", "1800000000", body + b" ", signed, now=1_800_000_060)
    assert not signing.verify("other", "1800000000", body, signed, now=1_800_000_060)
    assert not signing.verify("s3cret", "1800000001", body, signed, now=1_800_000_060)
    # A captured delivery sent again an hour later is refused.
    assert not signing.verify("s3cret", "1800000000", body, signed, now=1_800_003_600)
    assert not signing.verify("s3cret", "soon", body, signed)
