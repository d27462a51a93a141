"""The demo's newsroom logins: an editor (group 编辑) and a superuser.

Passwords are generated on the first run and kept in DATA_DIR/demo-login.txt, so every run
can print them again. The demo only manages what it created: an `admin` that existed
before the demo (and so is not in the file) is left alone.
"""

from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.contrib.auth.models import Group, Permission, User
from django.utils.crypto import get_random_string

from citydesk.newsroom.roles import GROUPS, Role

LOGIN_FILE = "demo-login.txt"
EDITORS_GROUP = "编辑"


@dataclass(frozen=True)
class Login:
    username: str
    password: str  # empty: the account existed before the demo and keeps its password
    superuser: bool


def login_file() -> Path:
    return Path(settings.DATA_DIR) / LOGIN_FILE


def _read(path: Path) -> dict[str, str]:
    if not path.exists():
        return {}
    saved = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        parts = line.split()
        if len(parts) == 2 and not line.startswith("#"):
            saved[parts[0]] = parts[1]
    return saved


def _write(path: Path, logins: list[Login]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = ["# citydesk demo logins: username password"]
    lines += [f"{login.username} {login.password}" for login in logins if login.password]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    path.chmod(0o600)


def editors_group() -> Group:
    """Every permission on content (articles, topics, people, images...), nothing else."""
    group, _ = Group.objects.get_or_create(name=EDITORS_GROUP)
    group.permissions.set(Permission.objects.filter(content_type__app_label="content"))
    return group


def ensure_logins() -> list[Login]:
    path = login_file()
    saved = _read(path)
    group = editors_group()
    logins = []
    for username, superuser in (("editor", False), ("admin", True)):
        user = User.objects.filter(username=username).first()
        password = saved.get(username, "")
        if user is not None and superuser and not password:
            logins.append(Login(username, "", superuser))
            continue
        password = password or get_random_string(16)
        if user is None:
            user = User.objects.create_user(username, password=password)
        elif not user.check_password(password):
            user.set_password(password)
        user.is_staff, user.is_active, user.is_superuser = True, True, superuser
        user.save()
        if not superuser:
            # Also a chief editor (签发编辑) of the newsroom: the demo's one editor walks
            # the whole review workflow.
            user.groups.add(group, Group.objects.get_or_create(name=GROUPS[Role.CHIEF])[0])
        logins.append(Login(username, password, superuser))
    _write(path, logins)
    return logins


def editor() -> User:
    """The demo's editor (after `ensure_logins`)."""
    return User.objects.get(username="editor")
