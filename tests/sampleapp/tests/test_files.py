import hashlib

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from rest_framework import status
from rest_framework.test import APITestCase

from ..models import Attachment
from .factories import make_catalogue, make_user

PDF_LIKE = b"%PDF-1.7\n" + bytes(range(256)) * 40 + b"\r\n\x00\xff%%EOF"


class AttachmentTests(APITestCase):
    @classmethod
    def setUpTestData(cls):
        cls.user = make_user()
        cls.book = make_catalogue()["books"][0]

    def setUp(self):
        self.client.force_authenticate(self.user)
        self.url = reverse("sample:book-attachments", args=[self.book.pk])

    def upload(self, name, content, content_type):
        return self.client.post(
            self.url, {"file": SimpleUploadedFile(name, content, content_type=content_type)}
        )

    def test_binary_upload_is_stored_exactly(self):
        response = self.upload("scan.pdf", PDF_LIKE, "application/pdf")
        self.assertEqual(response.status_code, status.HTTP_201_CREATED, response.data)
        self.assertEqual(response.data["size"], len(PDF_LIKE))
        self.assertEqual(response.data["sha256"], hashlib.sha256(PDF_LIKE).hexdigest())
        self.assertEqual(bytes(Attachment.objects.get().data), PDF_LIKE)

    def test_text_upload_with_unicode_name(self):
        response = self.upload("notes-é.txt", "café ☕\n".encode(), "text/plain")
        self.assertEqual(response.status_code, status.HTTP_201_CREATED)
        self.assertEqual(response.data["filename"], "notes-é.txt")

    def test_download_returns_the_same_bytes(self):
        uploaded = self.upload("scan.pdf", PDF_LIKE, "application/pdf")
        response = self.client.get(uploaded.data["download"])
        self.assertEqual(response.status_code, status.HTTP_200_OK)
        self.assertEqual(response["Content-Type"], "application/pdf")
        self.assertEqual(response["Content-Disposition"], 'attachment; filename="scan.pdf"')
        self.assertEqual(b"".join(response.streaming_content), PDF_LIKE)

    def test_list_attachments(self):
        self.upload("a.bin", b"\x00\x01", "application/octet-stream")
        self.upload("b.bin", b"\x02", "application/octet-stream")
        response = self.client.get(self.url)
        self.assertEqual([a["filename"] for a in response.data], ["a.bin", "b.bin"])

    def test_missing_file(self):
        response = self.client.post(self.url, {"other": "x"})
        self.assertEqual(response.status_code, status.HTTP_400_BAD_REQUEST)
        self.assertIn("file", response.data)

    def test_json_is_not_accepted(self):
        response = self.client.post(self.url, {"file": "x"}, format="json")
        self.assertEqual(response.status_code, status.HTTP_415_UNSUPPORTED_MEDIA_TYPE)

    def test_download_needs_authentication(self):
        uploaded = self.upload("a.bin", b"\x00", "application/octet-stream")
        self.client.force_authenticate(None)
        response = self.client.get(uploaded.data["download"])
        self.assertEqual(response.status_code, status.HTTP_401_UNAUTHORIZED)
