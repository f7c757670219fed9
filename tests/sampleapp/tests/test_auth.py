from django.test import Client
from django.urls import reverse
from rest_framework import status
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient, APITestCase

from .factories import make_catalogue, make_user


class TokenAuthTests(APITestCase):
    @classmethod
    def setUpTestData(cls):
        cls.user = make_user("tokenuser", "pw-123456")

    def test_obtain_token_and_use_it(self):
        response = self.client.post(
            reverse("sample:token"), {"username": "tokenuser", "password": "pw-123456"}
        )
        self.assertEqual(response.status_code, status.HTTP_200_OK)
        token = response.data["token"]
        self.assertEqual(token, Token.objects.get(user=self.user).key)
        self.client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
        me = self.client.get(reverse("sample:me"))
        self.assertEqual(me.data, {"username": "tokenuser", "auth": "token", "ip": "127.0.0.1"})

    def test_wrong_password(self):
        response = self.client.post(
            reverse("sample:token"), {"username": "tokenuser", "password": "nope"}
        )
        self.assertEqual(response.status_code, status.HTTP_400_BAD_REQUEST)
        self.assertIn("non_field_errors", response.data)

    def test_bad_token(self):
        self.client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
        response = self.client.get(reverse("sample:me"))
        self.assertEqual(response.status_code, status.HTTP_401_UNAUTHORIZED)
        self.assertEqual(response.data["detail"], "Invalid token.")

    def test_credentials_can_be_cleared(self):
        token = Token.objects.create(user=self.user)
        self.client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        self.assertEqual(self.client.get(reverse("sample:me")).status_code, 200)
        self.client.credentials()
        self.assertEqual(self.client.get(reverse("sample:me")).status_code, 401)

    def test_header_passed_per_request(self):
        token = Token.objects.create(user=self.user)
        response = self.client.get(
            reverse("sample:me"), headers={"Authorization": f"Token {token.key}"}
        )
        self.assertEqual(response.status_code, status.HTTP_200_OK)
        response = self.client.get(reverse("sample:me"), HTTP_AUTHORIZATION=f"Token {token.key}")
        self.assertEqual(response.data["auth"], "token")

    def test_client_address_can_be_set(self):
        token = Token.objects.create(user=self.user)
        self.client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        response = self.client.get(reverse("sample:me"), REMOTE_ADDR="198.51.100.7")
        self.assertEqual(response.data["ip"], "198.51.100.7")


class SessionAuthTests(APITestCase):
    @classmethod
    def setUpTestData(cls):
        cls.user = make_user("sessionuser", "pw-abcdef")
        cls.catalogue = make_catalogue()

    def test_login_with_csrf_round_trip(self):
        client = APIClient(enforce_csrf_checks=True)
        csrf = client.get(reverse("sample:csrf"))
        self.assertIn("csrftoken", csrf.cookies)
        token = csrf.json()["csrfToken"]

        refused = client.post(
            reverse("sample:login"),
            {"username": "sessionuser", "password": "pw-abcdef"},
            format="json",
        )
        self.assertEqual(refused.status_code, status.HTTP_403_FORBIDDEN)

        response = client.post(
            reverse("sample:login"),
            {"username": "sessionuser", "password": "pw-abcdef"},
            format="json",
            HTTP_X_CSRFTOKEN=token,
        )
        self.assertEqual(response.status_code, status.HTTP_200_OK)
        self.assertIn("sessionid", response.cookies)
        me = client.get(reverse("sample:me"))
        self.assertEqual(me.data["auth"], "session")
        self.assertEqual(me.data["username"], "sessionuser")

    def test_session_writes_need_the_csrf_token(self):
        client = APIClient(enforce_csrf_checks=True)
        client.login(username="sessionuser", password="pw-abcdef")
        book = self.catalogue["books"][0]
        url = reverse("sample:book-detail", args=[book.pk])
        refused = client.patch(url, {"price": "1.00"}, format="json")
        self.assertEqual(refused.status_code, status.HTTP_403_FORBIDDEN)
        self.assertIn("CSRF", refused.data["detail"])
        token = client.get(reverse("sample:csrf")).json()["csrfToken"]
        accepted = client.patch(url, {"price": "1.00"}, format="json", HTTP_X_CSRFTOKEN=token)
        self.assertEqual(accepted.status_code, status.HTTP_200_OK)

    def test_login_required_page_sends_back_after_login(self):
        client = Client()
        response = client.get(reverse("sample:account"))
        self.assertEqual(response.status_code, 302)
        self.assertTrue(response.url.startswith(reverse("sample:login") + "?next="))
        response = client.post(
            response.url, {"username": "sessionuser", "password": "pw-abcdef"}, follow=True
        )
        self.assertEqual(response.status_code, 200)
        self.assertTemplateUsed(response, "sampleapp/account.html")
        self.assertEqual(response.redirect_chain[-1][1], 302)
        self.assertEqual(client.session["_auth_user_id"], str(self.user.pk))

    def test_login_rejects_offsite_next(self):
        response = self.client.post(
            reverse("sample:login") + "?next=https://evil.example/",
            {"username": "sessionuser", "password": "pw-abcdef"},
        )
        self.assertEqual(response.status_code, status.HTTP_200_OK)

    def test_bad_login(self):
        response = self.client.post(
            reverse("sample:login"), {"username": "sessionuser", "password": "wrong"}
        )
        self.assertEqual(response.status_code, status.HTTP_400_BAD_REQUEST)
        self.assertNotIn("sessionid", response.cookies)

    def test_malformed_json_login(self):
        response = self.client.generic(
            "POST", reverse("sample:login"), b"{not json", content_type="application/json"
        )
        self.assertEqual(response.status_code, status.HTTP_400_BAD_REQUEST)

    def test_logout_ends_the_session(self):
        self.client.force_login(self.user)
        self.assertEqual(self.client.get(reverse("sample:me")).status_code, 200)
        response = self.client.post(reverse("sample:logout"))
        self.assertEqual(response.status_code, status.HTTP_200_OK)
        self.assertEqual(self.client.get(reverse("sample:me")).status_code, 401)

    def test_login_method_not_allowed(self):
        response = self.client.get(reverse("sample:login"))
        self.assertEqual(response.status_code, status.HTTP_405_METHOD_NOT_ALLOWED)
        self.assertEqual(response["Allow"], "POST")

    def test_force_authenticate_then_logout(self):
        self.client.force_authenticate(user=self.user)
        self.assertEqual(self.client.get(reverse("sample:me")).data["username"], "sessionuser")
        self.client.force_authenticate(user=None)
        self.assertEqual(self.client.get(reverse("sample:me")).status_code, 401)
