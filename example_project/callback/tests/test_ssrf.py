"""SSRF rules on their own: address ranges, resolution once, and the allow-list."""

import ipaddress
import socket

import pytest

from callbacks import ssrf


@pytest.fixture
def strict(settings):
    settings.CALLBACK = {**settings.CALLBACK, "ALLOW_HTTP": False, "ALLOWED_NETWORKS": []}
    return settings


@pytest.mark.parametrize(
    "ip, word",
    [
        ("127.0.0.1", "loopback"), ("127.255.0.9", "loopback"), ("::1", "loopback"),
        ("169.254.169.254", "link-local"), ("fe80::1", "link-local"),
        ("10.0.0.1", "private"), ("172.16.5.4", "private"), ("192.168.1.1", "private"),
        ("fc00::1", "private"), ("fd12:3456::1", "private"),
        ("224.0.0.251", "multicast"), ("ff02::1", "multicast"),
        ("240.0.0.1", "240.0.0.1"), ("0.0.0.0", "0.0.0.0"), ("::", "::"),
        ("100.64.0.1", "special-purpose"), ("198.18.0.1", "198.18.0.1"),
        ("::ffff:127.0.0.1", "loopback"), ("::ffff:169.254.169.254", "link-local"),
        ("::ffff:10.0.0.1", "private"), ("2002:a9fe:a9fe::", "link-local"),
        ("64:ff9b::a9fe:a9fe", "link-local"),
        ("fec0::1", "site-local"), ("192.0.0.8", "192.0.0.8"), ("3fff::1", "3fff::1"),
        ("2001:db8::1", "2001:db8::1"), ("203.0.113.5", "203.0.113.5"),
    ],
)  # fmt: skip
def test_forbidden_addresses(ip, word):
    reason = ssrf.forbidden_reason(ip)
    assert reason is not None and word in reason


@pytest.mark.parametrize("ip", ["93.184.215.14", "2606:4700:4700::1111", "::ffff:8.8.8.8"])
def test_public_addresses_pass(ip):
    assert ssrf.forbidden_reason(ip) is None


def fake_dns(monkeypatch, *answers):
    """getaddrinfo that answers ``answers[0]``, then ``answers[1]``...: a rebinding name."""
    calls = []
    real = socket.getaddrinfo

    def getaddrinfo(host, port, *args, **kwargs):
        try:
            ipaddress.ip_address(host)
            return real(host, port, *args, **kwargs)  # a literal resolves to itself
        except ValueError:
            pass
        calls.append(host)
        answer = answers[min(len(calls), len(answers)) - 1]
        return [(socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "",
                 (a, port)) for a in answer]  # fmt: skip

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return calls


def test_a_name_is_resolved_once_and_the_checked_address_is_used(strict, monkeypatch):
    calls = fake_dns(monkeypatch, ["93.184.215.14"], ["169.254.169.254"])
    dest = ssrf.destination("https://hooks.example.com/in?x=1")
    assert calls == ["hooks.example.com"]
    assert (dest.address, dest.host, dest.port, dest.path) == (
        "93.184.215.14", "hooks.example.com", 443, "/in?x=1"
    )  # fmt: skip


def test_a_name_with_any_forbidden_address_is_refused(strict, monkeypatch):
    fake_dns(monkeypatch, ["93.184.215.14", "10.0.0.7"])
    with pytest.raises(ssrf.RefusedURL, match="10.0.0.7 is a private"):
        ssrf.destination("https://hooks.example.com/")


def test_rebinding_cannot_reach_the_second_answer(acme, receiver, callback_settings, monkeypatch):
    """The first answer (the receiver on 127.0.0.1, allowed here) is checked and used;
    the transport never asks DNS again, so the later answer (metadata) is never dialled."""
    from callbacks import sender
    from callbacks.models import Callback, State, Subscription
    from tests.conftest import make_callback

    url = f"http://rebind.test:{receiver.port}/hook"
    Subscription.objects.filter(owner=acme[0]).update(origin=f"http://rebind.test:{receiver.port}")
    calls = fake_dns(monkeypatch, ["127.0.0.1"], ["169.254.169.254"])
    callback = make_callback(acme[0], url)
    sender.deliver_now([(callback.pk, 1)])
    assert Callback.objects.get(pk=callback.pk).state == State.DELIVERED
    assert calls == ["rebind.test"]
    (hit,) = receiver.hits("/hook")
    assert hit.headers["host"] == f"rebind.test:{receiver.port}" and hit.verified


def test_the_allow_list_lets_chosen_networks_through(strict):
    strict.CALLBACK = {**strict.CALLBACK, "ALLOWED_NETWORKS": ["10.20.0.0/16"]}
    assert ssrf.destination("https://10.20.3.4/x").address == "10.20.3.4"
    with pytest.raises(ssrf.RefusedURL):
        ssrf.destination("https://10.21.3.4/x")


@pytest.mark.parametrize(
    "url, message",
    [
        ("http://93.184.215.14/", "scheme must be https"),
        ("https://u:p@93.184.215.14/", "credentials"),
        ("https:///nohost", "no host"),
        ("https://[::1/", "cannot be parsed"),
        ("https://93.184.215.14:99999/", "cannot be parsed"),
    ],
)
def test_malformed_or_unsafe_urls(strict, url, message):
    with pytest.raises(ssrf.RefusedURL, match=message):
        ssrf.check_literal(url)


def test_an_unresolvable_name_is_an_oserror_so_it_is_retried(strict):
    with pytest.raises(OSError, match="cannot resolve"):
        ssrf.destination("https://no-such-host.invalid/")
