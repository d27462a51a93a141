"""Keeping the newsroom's records for saves made outside its editor (the Django admin,
the administrators' tool): a revision for every save and a workflow entry for a change of
state, so the history of an article has no gaps whichever way it was changed."""

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import F

from citydesk.content.models import Article
from citydesk.newsroom.actions import display_name
from citydesk.newsroom.models import Revision, Transition
from citydesk.newsroom.revisions import TEXT_FIELDS

ADMIN_ACTION = "admin"  # Transition.action of a state changed in the admin


def admin_saved(user: User | AnonymousUser, article: Article, status_before: str | None) -> None:
    """After the admin saved `article` (its state was `status_before`; None: just created)."""
    actor = user if isinstance(user, User) else None
    name = display_name(actor) if actor is not None else "系统"
    Article.objects.filter(pk=article.pk).update(version=F("version") + 1)
    article.refresh_from_db(fields=["version"])
    Revision.objects.create(
        article=article,
        version=article.version,
        author=actor,
        author_name=name,
        fields={field: getattr(article, field) for field in TEXT_FIELDS},
        note="在后台保存",
    )
    if status_before != article.status:
        Transition.objects.create(
            article=article,
            actor=actor,
            actor_name=name,
            action=ADMIN_ACTION,
            from_status=status_before or Article.Status.DRAFT,
            to_status=article.status,
            stage=article.review_stage,
            comment="在后台修改状态",
        )
