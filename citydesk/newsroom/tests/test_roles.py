"""The permission matrix, cell by cell, through the workflow functions themselves."""

import re
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from citydesk.core.testing import REPO_ROOT
from citydesk.newsroom import actions as workflow
from citydesk.newsroom.roles import MATRIX, Action, Role, allows, role_of

pytestmark = pytest.mark.django_db

ROLE_OF = {
    "reporter": Role.REPORTER,
    "editor": Role.EDITOR,
    "chief": Role.CHIEF,
    "admin": Role.ADMIN,
}


def test_docs_table_is_the_matrix():
    text = (REPO_ROOT / "docs" / "newsroom.md").read_text()
    text = text.split("\n## Permission matrix\n", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| `(\w+)` [^|]*\|(.*)\|$", text, re.M)
    assert [a for a, _ in rows] == [a.value for a in Action]
    for action, cells in rows:
        marks = [c.strip() for c in cells.split("|")]
        got = {role for role, mark in zip(Role, marks, strict=True) if mark == "✓"}
        assert got == {r for r in Role if Action(action) in MATRIX[r]}, action


def test_roles_come_from_groups(people):
    assert {k: role_of(u) for k, u in people.items() if k in ROLE_OF} == ROLE_OF
    assert role_of(people["outsider"]) is None
    people["chief"].is_active = False
    assert role_of(people["chief"]) is None


def _state_for(action: Action, draft, people):
    """An article in the state where `action` is possible, written by the reporter."""
    article = draft()
    if action in (Action.SUBMIT,):
        return article
    workflow.submit(people["reporter"], article)
    if action in (Action.RETURN, Action.APPROVE):
        return article
    workflow.approve(people["editor2"], article)
    if action in (Action.PUBLISH, Action.SCHEDULE):
        return article
    workflow.publish(people["admin"], article)
    return article


def _do(action: Action, user, article):
    if action is Action.SUBMIT:
        return workflow.submit(user, article)
    if action is Action.RETURN:
        return workflow.return_to_writer(user, article, "请补充来源")
    if action is Action.APPROVE:
        return workflow.approve(user, article)
    if action is Action.PUBLISH:
        return workflow.publish(user, article)
    if action is Action.SCHEDULE:
        return workflow.schedule(user, article, timezone.now() + timedelta(hours=1))
    if action is Action.UNPUBLISH:
        return workflow.unpublish(user, article)
    if action is Action.RETRACT:
        return workflow.retract(user, article, "事实有误")
    raise AssertionError(action)


TRANSITIONS = [
    Action.SUBMIT,
    Action.RETURN,
    Action.APPROVE,
    Action.PUBLISH,
    Action.SCHEDULE,
    Action.UNPUBLISH,
    Action.RETRACT,
]


@pytest.mark.parametrize("who", list(ROLE_OF))
@pytest.mark.parametrize("action", TRANSITIONS)
def test_each_transition_is_allowed_exactly_where_the_matrix_says(who, action, draft, people):
    article = _state_for(action, draft, people)
    before = (article.status, article.transitions.count())
    user = people[who]
    if who == "reporter" and action is not Action.SUBMIT:
        user = people["reporter2"]  # not the writer, so only the role decides
    if allows(ROLE_OF[who], action):
        _do(action, user, article)
        assert article.transitions.count() == before[1] + 1
        entry = article.transitions.last()
        assert (entry.actor, entry.action, entry.from_status) == (user, action.value, before[0])
        assert entry.to_status == article.status != before[0] or action is Action.APPROVE
    else:
        with pytest.raises(PermissionDenied):
            _do(action, user, article)
        article.refresh_from_db()
        assert (article.status, article.transitions.count()) == before  # nothing changed


@pytest.mark.parametrize("who", list(ROLE_OF))
def test_editing_own_and_others(who, draft, people):
    role = ROLE_OF[who]
    own = draft(by=who if who != "admin" else "admin")
    others = draft(by="reporter2")
    assert workflow.may_edit(people[who], own) == allows(role, Action.EDIT_OWN)
    assert workflow.may_edit(people[who], others) == allows(role, Action.EDIT_OTHERS)
    assert not workflow.may_edit(people["outsider"], own)


def test_a_writer_edits_only_while_it_is_theirs_to_fix(draft, people):
    article = draft()
    reporter = people["reporter"]
    workflow.submit(reporter, article)
    assert not workflow.may_edit(reporter, article)  # with the editors now
    workflow.return_to_writer(people["editor"], article, "标题太长")
    assert workflow.may_edit(reporter, article)


def test_a_writer_submits_only_their_own(draft, people):
    article = draft(by="reporter2")
    with pytest.raises(PermissionDenied):
        workflow.submit(people["reporter"], article)
    workflow.submit(people["editor"], article)  # an editor may


@pytest.mark.parametrize("who", list(ROLE_OF))
def test_only_the_matrix_lets_a_flagged_piece_through(who, draft, people):
    from citydesk.content.models import Article
    from citydesk.newsroom.models import SensitiveWord

    SensitiveWord.objects.create(word="送审测试")
    article = draft(by=who)
    user = people[who]
    if allows(ROLE_OF[who], Action.OVERRIDE):
        workflow.submit(user, article, override_reason="标题中的说法经核实无误")
        article.refresh_from_db()
        assert article.status == Article.Status.SUBMITTED
        assert (
            "敏感词放行（送审测试）：标题中的说法经核实无误" in article.transitions.last().comment
        )
    else:
        with pytest.raises((PermissionDenied, workflow.SensitiveWords)):
            workflow.submit(user, article, override_reason="我认为没问题")
        article.refresh_from_db()
        assert article.status == Article.Status.DRAFT and not article.transitions.exists()


@pytest.mark.parametrize("who", list(ROLE_OF))
def test_reading_others_unpublished_pieces(who, draft, people):
    from citydesk.content.models import Article

    role = ROLE_OF[who]
    others = draft(by="reporter2")
    assert workflow.may_read(people[who], others) == allows(role, Action.READ_OTHERS)
    assert workflow.may_read(people[who], draft(by=who))  # one's own, always
    live = draft(by="reporter2")
    Article.objects.filter(pk=live.pk).update(
        status=Article.Status.PUBLISHED, published_at=timezone.now()
    )
    live.refresh_from_db()
    assert workflow.may_read(people[who], live)  # public anyway
    assert not workflow.may_read(people["outsider"], others)
