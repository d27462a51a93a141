"""The workflow's table (citydesk.newsroom.workflow.STEPS): docs/newsroom.md prints it, and
every cell of it, role × step × state, is allowed or refused as the printed table says,
by the workflow functions and by the buttons the screens offer."""

import re
from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.utils import timezone

from citydesk.content.models import Article
from citydesk.core.testing import REPO_ROOT
from citydesk.newsroom import actions, workflow
from citydesk.newsroom.models import Transition

Status = Article.Status
ROLES = ["reporter", "editor", "chief", "admin"]  # the table's role columns, in order


@dataclass
class Row:
    """One step as docs/newsroom.md prints it."""

    name: str
    label: str
    sources: list[str]
    target: str
    cell: str
    whose: str
    comment_required: bool
    checks_words: bool
    roles: set[str]


def _cells(line: str) -> list[str]:
    return [cell.strip().strip("`") for cell in line.strip().strip("|").split("|")]


def _doc() -> str:
    return (REPO_ROOT / "docs" / "newsroom.md").read_text()


def doc_table() -> list[Row]:
    """The workflow table of docs/newsroom.md: the table under "## Workflow"."""
    section = _doc().split("\n## Workflow\n", 1)[1].split("\n## ", 1)[0]
    lines = [line for line in section.splitlines() if line.startswith("|")]
    header = _cells(lines[0])
    assert header[:8] == [
        "step", "label", "from", "to", "matrix cell", "whose piece", "comment", "敏感词检查",
    ]  # fmt: skip
    rows = []
    for line in lines[2:]:
        c = _cells(line)
        assert len(c) == 8 + len(ROLES), line
        assert c[6] in ("required", "—") and c[7] in ("✓", "—"), line
        rows.append(
            Row(
                name=c[0],
                label=c[1],
                sources=[s.strip() for s in c[2].split(",")],
                target=c[3],
                cell=c[4],
                whose=c[5],
                comment_required=c[6] == "required",
                checks_words=c[7] == "✓",
                roles={role for role, mark in zip(ROLES, c[8:], strict=True) if mark == "✓"},
            )
        )
    return rows


def doc_edit_others() -> set[str]:
    """The roles with the matrix's `edit_others` cell, as the doc prints it."""
    (line,) = [x for x in _doc().splitlines() if x.startswith("| `edit_others` ")]
    return {role for role, mark in zip(ROLES, _cells(line)[1:], strict=True) if mark == "✓"}


def test_the_docs_table_is_the_workflow_table():
    from citydesk.newsroom.roles import MATRIX, Role

    rows = doc_table()
    assert [r.name for r in rows] == list(workflow.STEPS)
    for row in rows:
        step = workflow.STEPS[row.name]
        assert (row.label, row.sources, row.target) == (
            step.label,
            [s.value for s in step.sources],
            step.target_name,
        ), row.name
        assert (row.cell, row.whose) == (step.action.value, step.whose.value), row.name
        assert (row.comment_required, row.checks_words) == (
            step.comment_required,
            step.checks_words,
        ), row.name
        # The role columns are the matrix's, for the step's cell.
        assert row.roles == {r for r in ROLES if step.action in MATRIX[Role(r)]}, row.name


def test_every_state_a_step_starts_from_or_ends_in_is_a_state():
    for step in workflow.STEPS.values():
        assert set(step.sources) <= set(Status), step.name
        assert step.target is None or step.target in Status
    # The disagreement the table ended: 定时发布 reschedules a scheduled piece.
    assert Status.SCHEDULED in workflow.STEPS["schedule"].sources


def _expected(row: Row, role: str | None, own: bool, status: str) -> bool:
    """Whether the doc's table allows `role` the step on a piece in `status`."""
    if role is None or role not in row.roles or status not in row.sources:
        return False
    if row.whose == "own, or edit_others":
        return own or role in doc_edit_others()
    if row.whose == "not own":
        return not own
    assert row.whose == "any"
    return True


def _take(name: str, user, article: Article) -> Article:
    """The step through its own public function."""
    later = timezone.now() + timedelta(hours=2)
    steps = {
        "submit": lambda: actions.submit(user, article, "请审"),
        "return": lambda: actions.return_to_writer(user, article, "请补充来源"),
        "approve": lambda: actions.approve(user, article),
        "publish": lambda: actions.publish(user, article),
        "schedule": lambda: actions.schedule(user, article, later),
        "unpublish": lambda: actions.unpublish(user, article),
        "retract": lambda: actions.retract(user, article, "事实有误"),
    }
    return steps[name]()


def _in_state(draft, by: str, status: str) -> Article:
    article = draft(by=by)
    now = timezone.now()
    when: dict[str, object] = {
        Status.PUBLISHED: now - timedelta(hours=1),
        Status.SCHEDULED: now + timedelta(days=1),
    }
    Article.objects.filter(pk=article.pk).update(status=status, published_at=when.get(status))
    article.refresh_from_db()
    return article


WHO = [*ROLES, "outsider"]


@pytest.mark.django_db
@pytest.mark.parametrize("status", list(Status))
@pytest.mark.parametrize("name", list(workflow.STEPS))
def test_every_cell_is_allowed_or_refused_as_the_table_says(name, status, draft, people):
    (row,) = [r for r in doc_table() if r.name == name]
    for who in WHO:
        for own in (True, False):
            user = people[who]
            article = _in_state(draft, who if own else "reporter2", status)
            allowed = _expected(row, None if who == "outsider" else who, own, status)
            where = f"{who} {'own' if own else 'others'} {name} from {status}"
            offered = [step.name for step in workflow.offered(user, article)]
            assert (name in offered) == allowed, where
            if allowed:
                _take(name, user, article)
                entry = Transition.objects.get(article=article)
                assert (entry.actor, entry.action, entry.from_status) == (user, name, status)
                target = Status.APPROVED if row.target == "computed" else row.target
                assert article.status == entry.to_status == target, where
                if row.comment_required:
                    assert entry.comment, where
                continue
            error = PermissionDenied if who not in row.roles else Exception
            with pytest.raises((error, actions.WorkflowError)):
                _take(name, user, article)
            article.refresh_from_db()
            assert article.status == status and not article.transitions.exists(), where


@pytest.mark.django_db
def test_steps_needing_a_comment_refuse_without_one(draft, people):
    for name in [n for n, s in workflow.STEPS.items() if s.comment_required]:
        step = workflow.STEPS[name]
        article = _in_state(draft, "reporter2", step.sources[0])
        with pytest.raises(actions.WorkflowError, match=step.comment_name):
            actions.take(people["admin"], article, name, "  ")
        assert not article.transitions.exists()


@pytest.mark.django_db
def test_steps_that_check_words_refuse_listed_ones_unless_a_chief_gives_a_reason(draft, people):
    from citydesk.newsroom.models import SensitiveWord

    SensitiveWord.objects.create(word="送审测试稿")
    later = timezone.now() + timedelta(hours=1)
    for name, step in workflow.STEPS.items():
        article = _in_state(draft, "reporter2", step.sources[0])
        user = people["admin"]
        if step.checks_words:
            with pytest.raises(actions.SensitiveWords):
                actions.take(user, article, name, "理由", at=later)
            assert not article.transitions.exists()
            actions.take(user, article, name, "理由", override_reason="已核实", at=later)
            assert "敏感词放行（送审测试稿）：已核实" in article.transitions.get().comment
        else:
            actions.take(user, article, name, "理由", at=later)  # no check: it goes through
            assert article.transitions.get().action == name


@pytest.mark.django_db
def test_the_editor_offers_the_tables_buttons(draft, people):
    article = _in_state(draft, "reporter2", Status.SCHEDULED)
    client = Client()
    client.force_login(people["chief"])
    page = client.get(f"/newsroom/a/{article.pk}/edit/").content.decode()
    shown = set(re.findall(r'id="step-(\w+)"', page))
    assert shown == {"publish", "schedule", "unpublish", "retract"}
    # The comment boxes and the time come from the table too.
    assert 'placeholder="撤稿原因（必填）" required' in page
    assert 'type="datetime-local" name="at"' in page
    client.post(
        f"/newsroom/a/{article.pk}/schedule/",
        {"at": (timezone.localtime() + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M")},
    )
    article.refresh_from_db()
    assert article.status == Status.SCHEDULED
    assert article.published_at is not None
    assert article.published_at > timezone.now() + timedelta(days=2)  # rescheduled
    assert article.transitions.get().action == "schedule"

    reporter = Client()
    reporter.force_login(people["reporter2"])  # the writer: nothing to offer now
    page = reporter.get(f"/newsroom/a/{article.pk}/edit/").content.decode()
    assert not re.findall(r'id="step-(\w+)"', page)
