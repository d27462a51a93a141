"""Who may do what in the newsroom: four roles and the permission matrix.

A user's role is the Django group they are in (a superuser is an administrator); the
groups are created by this app's migrations. docs/newsroom.md prints MATRIX as a table,
and a test checks that the two agree.
"""

from enum import StrEnum

from django.contrib.auth.models import AnonymousUser, User
from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(StrEnum):
    REPORTER = "reporter"
    EDITOR = "editor"  # 责编
    CHIEF = "chief"  # 签发: the chief editor
    ADMIN = "admin"


# The group each role is, by name; also what the newsroom shows.
GROUPS = {
    Role.REPORTER: "记者",
    Role.EDITOR: "责任编辑",
    Role.CHIEF: "签发编辑",
    Role.ADMIN: "管理员",
}


class Action(models.TextChoices):
    CREATE = "create", _("新建稿件")
    EDIT_OWN = "edit_own", _("修改自己的稿件")
    EDIT_OTHERS = "edit_others", _("修改他人的稿件")
    READ_OTHERS = "read_others", _("查看他人未发布的稿件")
    SUBMIT = "submit", _("送审")
    RETURN = "return", _("退回")
    APPROVE = "approve", _("审核通过")
    PUBLISH = "publish", _("发布")
    SCHEDULE = "schedule", _("定时发布")
    UNPUBLISH = "unpublish", _("撤下")
    RETRACT = "retract", _("撤稿")
    OVERRIDE = "override", _("敏感词放行")
    EDIT_CHANNELS = "edit_channels", _("管理栏目和专题")
    MANAGE_USERS = "manage_users", _("管理用户")
    PROPOSE = "propose", _("报题")
    PLAN = "plan", _("审批选题和派单")
    PAY = "pay", _("设定稿费标准、查看全部稿费")


_WRITING = {Action.CREATE, Action.EDIT_OWN, Action.SUBMIT, Action.PROPOSE}
_REVIEWING = _WRITING | {
    Action.READ_OTHERS,
    Action.EDIT_OTHERS,
    Action.RETURN,
    Action.APPROVE,
    Action.PLAN,
}
_SIGNING = _REVIEWING | {
    Action.PAY,
    Action.PUBLISH,
    Action.SCHEDULE,
    Action.UNPUBLISH,
    Action.RETRACT,
    Action.OVERRIDE,
    Action.EDIT_CHANNELS,
}
MATRIX: dict[Role, frozenset[Action]] = {
    Role.REPORTER: frozenset(_WRITING),
    Role.EDITOR: frozenset(_REVIEWING),
    Role.CHIEF: frozenset(_SIGNING),
    Role.ADMIN: frozenset(Action),
}
# What an assignment (派单) may ask of someone beyond writing, by the groups that say who
# can do it: 摄 of a photographer, 视频 of a video journalist. Any newsroom member writes.
SKILLS = {"photographer": "摄影记者", "video": "视频记者"}
# Highest first: a user in several groups has the most their groups give.
_RANKED = [Role.ADMIN, Role.CHIEF, Role.EDITOR, Role.REPORTER]


def role_of(user: User | AnonymousUser) -> Role | None:
    """The user's role, or None for someone outside the newsroom."""
    if not user.is_authenticated or not user.is_active:
        return None
    if user.is_superuser:
        return Role.ADMIN
    names = set(user.groups.values_list("name", flat=True))
    return next((role for role in _RANKED if GROUPS[role] in names), None)


def allows(role: Role | None, action: Action) -> bool:
    return role is not None and action in MATRIX[role]
