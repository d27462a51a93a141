"""Tokens made from the command line and in the admin; the key shown once, stored hashed."""

import io
import re

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command

from citydesk.api.models import ApiToken, digest

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("api_token", *args, stdout=out)
    return out.getvalue()


def test_the_command_makes_lists_and_revokes_tokens(client):
    User.objects.create_user("wangbian")
    shown = run(
        "create",
        "某合作方",
        "--scope",
        "read",
        "--scope",
        "drafts",
        "--user",
        "wangbian",
        "--source",
        "新华社",
        "--per-minute",
        "30",
    )
    key = shown.strip().splitlines()[-1]
    token = ApiToken.objects.get()
    assert token.key_hash == digest(key) and key not in token.key_hash
    assert token.user is not None and token.user.username == "wangbian"
    assert (token.scopes, token.source, token.per_minute) == (["drafts", "read"], "新华社", 30)
    assert client.get("/api/v1/channels/", HTTP_AUTHORIZATION=f"Bearer {key}").status_code == 200
    assert token.prefix in run("list") and "active" in run("list")
    run("revoke", token.prefix)
    assert client.get("/api/v1/channels/", HTTP_AUTHORIZATION=f"Bearer {key}").status_code == 401
    with pytest.raises(CommandError):
        run("revoke", token.prefix)  # already revoked
    with pytest.raises(CommandError):
        run("create", "x", "--user", "nobody")
    with pytest.raises(CommandError):
        run("create", "x", "--per-minute", "0")


def test_the_admin_makes_a_token_and_shows_its_key_once(admin_client):
    response = admin_client.post(
        "/admin/api/apitoken/add/",
        {"name": "本报客户端", "scopes": ["read"], "per_minute": "600", "source": ""},
        follow=True,
    )
    assert response.status_code == 200
    token = ApiToken.objects.get()
    shown = re.search(r"cdk_[A-Za-z0-9_-]{20,}", response.content.decode())
    assert shown and token.key_hash == digest(shown.group(0)) and token.scopes == ["read"]
    page = admin_client.get(f"/admin/api/apitoken/{token.pk}/change/").content.decode()
    assert shown.group(0) not in page  # never again
    admin_client.post(
        "/admin/api/apitoken/",
        {"action": "revoke", "_selected_action": [token.pk]},
    )
    token.refresh_from_db()
    assert token.revoked_at is not None
