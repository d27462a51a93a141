"""The newsroom's own login: no staff flag needed, and password guessing locked out by
django-axes per user name and per address, until the cool-off ends or an administrator
unlocks it."""

import logging
from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth.models import Group, User
from django.core.management import call_command
from django.test import Client

from citydesk.newsroom.roles import GROUPS, Role

pytestmark = pytest.mark.django_db

PASSWORD = "login-test-pw-1"


@pytest.fixture
def reporter(db) -> User:
    user = User.objects.create_user("xiaoji", password=PASSWORD)  # not staff
    user.groups.add(Group.objects.get(name=GROUPS[Role.REPORTER]))
    return user


def attempt(username: str, password: str, address: str = "198.51.100.7"):
    return Client(REMOTE_ADDR=address).post(
        "/newsroom/login/", {"username": username, "password": password}
    )


def test_a_reporter_signs_in_without_the_staff_flag_and_lands_on_the_dashboard(reporter):
    client = Client()
    to_login = client.get("/newsroom/")
    assert to_login.status_code == 302
    assert to_login["Location"] == "/newsroom/login/?next=/newsroom/"
    page = client.get(to_login["Location"]).content.decode()
    assert "用户名" in page and "密码" in page and 'name="next" value="/newsroom/"' in page

    signed_in = client.post(
        "/newsroom/login/?next=/newsroom/", {"username": "xiaoji", "password": PASSWORD}
    )
    assert signed_in.status_code == 302 and signed_in["Location"] == "/newsroom/"
    assert "编辑部工作台" in client.get("/newsroom/").content.decode()
    # Without a `next`, too; and never to another site.
    assert attempt("xiaoji", PASSWORD)["Location"] == "/newsroom/"
    away = Client().post(
        "/newsroom/login/?next=https://evil.example/", {"username": "xiaoji", "password": PASSWORD}
    )
    assert away["Location"] == "/newsroom/"
    # The admin is still for staff only.
    assert client.get("/admin/").status_code == 302


def test_a_wrong_password_says_so_and_signs_nobody_in(reporter):
    response = attempt("xiaoji", "wrong")
    assert response.status_code == 200
    assert "请输入一个正确的" in response.content.decode()  # Django's own message, in Chinese
    assert "_auth_user_id" not in response.client.session


def test_guessing_one_name_from_many_addresses_locks_that_name(reporter, caplog):
    caplog.set_level(logging.WARNING, logger="axes")
    for i in range(settings.AXES_FAILURE_LIMIT - 1):
        assert attempt("xiaoji", f"guess-{i}", f"203.0.113.{i + 1}").status_code == 200
    # The failure that reaches the limit is answered with the lockout already.
    assert attempt("xiaoji", "guess", "203.0.113.100").status_code == 429
    # The right password now, from yet another address: still refused.
    locked = attempt("xiaoji", PASSWORD, "192.0.2.99")
    assert locked.status_code == 429
    text = locked.content.decode()
    assert "登录已暂停" in text and "联系系统管理员" in text
    assert "_auth_user_id" not in locked.client.session
    assert (
        "login failure" in caplog.text and "xiaoji" in caplog.text and "203.0.113.1" in caplog.text
    )
    # Another reporter is not affected.
    other = User.objects.create_user("other", password=PASSWORD)
    other.groups.add(Group.objects.get(name=GROUPS[Role.REPORTER]))
    assert attempt("other", PASSWORD, "192.0.2.99").status_code == 302


def test_guessing_many_names_from_one_address_locks_that_address(reporter):
    for i in range(settings.AXES_FAILURE_LIMIT):
        attempt(f"nobody{i}", "guess", "198.51.100.50")
    assert attempt("xiaoji", PASSWORD, "198.51.100.50").status_code == 429
    assert attempt("xiaoji", PASSWORD, "198.51.100.51").status_code == 302


def test_the_admin_login_is_throttled_too(reporter):
    client = Client(REMOTE_ADDR="198.51.100.60")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post("/admin/login/", {"username": "xiaoji", "password": "guess"})
    response = client.post("/admin/login/", {"username": "xiaoji", "password": PASSWORD})
    assert response.status_code == 429


def test_a_lockout_ends_after_the_cool_off(reporter):
    for i in range(settings.AXES_FAILURE_LIMIT):
        attempt("xiaoji", f"guess-{i}")
    assert attempt("xiaoji", PASSWORD).status_code == 429
    past = settings.AXES_COOLOFF_TIME + timedelta(seconds=1)
    for row in AccessAttempt.objects.all():
        AccessAttempt.objects.filter(pk=row.pk).update(attempt_time=row.attempt_time - past)
    assert attempt("xiaoji", PASSWORD).status_code == 302


def test_an_administrator_unlocks_at_once(reporter):
    for i in range(settings.AXES_FAILURE_LIMIT):
        attempt("xiaoji", f"guess-{i}")
    assert attempt("xiaoji", PASSWORD).status_code == 429
    # From the admin (访问尝试, delete) or the command line.
    admin = User.objects.create_superuser("boss", password=PASSWORD)
    client = Client(REMOTE_ADDR="192.0.2.200")
    client.force_login(admin)
    listing = client.get("/admin/axes/accessattempt/")
    assert listing.status_code == 200 and "xiaoji" in listing.content.decode()
    call_command("axes_reset_username", "xiaoji")
    assert attempt("xiaoji", PASSWORD).status_code == 302


def test_signing_out_returns_to_the_login_page(reporter):
    client = Client()
    client.force_login(reporter)
    assert client.get("/newsroom/logout/").status_code == 405  # a link cannot sign you out
    response = client.post("/newsroom/logout/")
    assert response.status_code == 302 and response["Location"] == "/newsroom/login/"
    assert client.get("/newsroom/").status_code == 302


def test_a_signed_in_member_sees_a_way_out_and_never_loops(reporter):
    client = Client()
    client.force_login(reporter)
    page = client.get("/newsroom/").content.decode()
    assert 'action="/newsroom/logout/"' in page and "退出" in page  # not staff: still there
    assert "管理后台" not in page
    for url in ["/newsroom/login/", "/newsroom/login/?next=/newsroom/login/"]:
        response = client.get(url)
        assert response.status_code == 302 and response["Location"] == "/newsroom/", url
