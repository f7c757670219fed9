"""Attachments: multipart in, the same bytes, type and name out; limits refuse cleanly."""

import hashlib
import os
from urllib.parse import quote

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from messaging.models import Attachment
from tests.conftest import assert_problem

pytestmark = pytest.mark.django_db


def upload(client, message, data, name="report.pdf", content_type="application/pdf"):
    return client.post(
        f"/api/v1/messages/{message.pk}/attachments/",
        {"file": SimpleUploadedFile(name, data, content_type=content_type)},
        format="multipart",
    )


def download(client, reply):
    return client.get(f"/api/v1/attachments/{reply.json()['id']}/download/")


def test_round_trip_byte_for_byte(acme, globex, make_message):
    message = make_message("acme", "globex")
    data = os.urandom(300_000) + bytes(range(256))  # every byte value, not valid UTF-8
    reply = upload(acme, message, data)
    assert reply.status_code == 201, reply.content
    meta = reply.json()
    assert meta["size"] == len(data)
    assert meta["sha256"] == hashlib.sha256(data).hexdigest()
    assert meta["uploaded_by"] == "acme" and meta["filename"] == "report.pdf"
    assert meta["download_url"].endswith(f"/api/v1/attachments/{meta['id']}/download/")

    got = download(globex, reply)  # the recipient reads what the sender sent
    assert got.status_code == 200
    assert got.content == data
    assert got["Content-Type"] == "application/pdf"
    assert got["Content-Length"] == str(len(data))
    assert got["Content-Disposition"] == 'attachment; filename="report.pdf"'
    assert got["X-Content-Type-Options"] == "nosniff"

    listed = acme.get(f"/api/v1/messages/{message.pk}/").json()["attachments"]
    assert [a["id"] for a in listed] == [meta["id"]]


def test_non_ascii_file_name(acme, make_message):
    name = "Prüfbericht €5 – 東京.png"
    data = b"\x89PNG\r\n\x1a\n" + os.urandom(64)
    reply = upload(acme, make_message(), data, name=name, content_type="image/png")
    assert reply.status_code == 201
    got = download(acme, reply)
    assert got.content == data and got["Content-Type"] == "image/png"
    assert got["Content-Disposition"] == f"attachment; filename*=utf-8''{quote(name)}"


def test_quotes_in_a_name_cannot_break_the_header(acme, make_message):
    reply = upload(acme, make_message(), b"x", name='say "hi".txt', content_type="text/plain")
    assert reply.json()["filename"] == 'say "hi".txt'
    disposition = download(acme, reply)["Content-Disposition"]
    assert disposition == 'attachment; filename="say \\"hi\\".txt"'


def test_oversized_file_is_413_and_nothing_is_stored(acme, make_message, settings):
    settings.ATTACHMENT_MAX_BYTES = 1024
    body = assert_problem(upload(acme, make_message(), os.urandom(1025)), 413)
    assert body["limit_bytes"] == 1024
    assert Attachment.objects.count() == 0


def test_empty_file_is_400(acme, make_message):
    body = assert_problem(upload(acme, make_message(), b""), 400)
    assert "file" in body["errors"]
    assert Attachment.objects.count() == 0


def test_no_file_part_is_400(acme, make_message):
    message = make_message()
    reply = acme.post(f"/api/v1/messages/{message.pk}/attachments/", {"note": "x"}, format="multipart")
    assert "file" in assert_problem(reply, 400)["errors"]


def test_json_body_is_415(acme, make_message):
    message = make_message()
    reply = acme.post(f"/api/v1/messages/{message.pk}/attachments/", {"file": "x"}, format="json")
    assert_problem(reply, 415)


def test_other_partners_cannot_upload_or_download(acme, initech, make_message):
    message = make_message("acme", "globex")
    assert_problem(upload(initech, message, b"intruder"), 404)
    reply = upload(acme, message, b"secret")
    assert_problem(download(initech, reply), 404)
    assert Attachment.objects.count() == 1
