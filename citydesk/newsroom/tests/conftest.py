import pytest
from django.contrib.auth.models import Group, User

from citydesk.content import actions
from citydesk.content.actions import ArticleData
from citydesk.content.models import Article
from citydesk.newsroom.roles import GROUPS, Role


def make_user(username: str, role: Role | None) -> User:
    user = User.objects.create_user(username, first_name=username)  # no password: fast
    if role is Role.ADMIN:
        user.is_superuser = True
        user.save()
    elif role is not None:
        user.groups.add(Group.objects.get(name=GROUPS[role]))
    return user


@pytest.fixture
def people(db):
    return {
        "reporter": make_user("小记", Role.REPORTER),
        "reporter2": make_user("另一记者", Role.REPORTER),
        "editor": make_user("王编", Role.EDITOR),
        "editor2": make_user("李编", Role.EDITOR),
        "chief": make_user("张总", Role.CHIEF),
        "admin": make_user("管理员甲", Role.ADMIN),
        "outsider": make_user("路人", None),
    }


@pytest.fixture
def draft(people):
    def make(by: str = "reporter", channels: list[str] | None = None) -> Article:
        article = actions.create_article(
            ArticleData(
                title="送审测试稿",
                body=[{"type": "paragraph", "text": "正文。"}],
                channels=channels or ["suzhou"],
            ),
            created_by=people[by],
        )
        return article

    return make
