"""`citydesk api_token`: make, list and revoke the API's tokens."""

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from citydesk.api.models import ApiToken, Scope


class Command(BaseCommand):
    help = "管理开放接口令牌 (make, list or revoke API tokens)"

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="make a token; its key is shown once")
        create.add_argument("name", help="the partner or purpose")
        create.add_argument(
            "--scope",
            action="append",
            choices=Scope.values,
            default=None,
            help="read (default) and/or drafts",
        )
        create.add_argument("--user", default="", help="a newsroom member's username")
        create.add_argument("--source", default="", help="来源 of the partner's drafts")
        create.add_argument("--per-minute", type=int, default=600)
        sub.add_parser("list", help="every token, without keys")
        revoke = sub.add_parser("revoke", help="revoke a token by its prefix")
        revoke.add_argument("prefix")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "create":
            self._create(options)
        elif action == "list":
            for token in ApiToken.objects.all():
                state = "revoked" if token.revoked_at else "active"
                self.stdout.write(
                    f"{token.prefix}  {state:8} {','.join(token.scopes):12} {token.name}"
                )
        else:
            count = ApiToken.objects.filter(
                prefix=options["prefix"], revoked_at__isnull=True
            ).update(revoked_at=timezone.now())
            if not count:
                raise CommandError(f"没有前缀为 {options['prefix']} 的有效令牌")
            self.stdout.write(f"已吊销 {options['prefix']}")

    def _create(self, options: dict[str, Any]) -> None:
        if options["per_minute"] < 1:
            raise CommandError("--per-minute 至少为 1")
        user = None
        if options["user"]:
            user = get_user_model().objects.filter(username=options["user"]).first()
            if user is None:
                raise CommandError(f"没有用户 {options['user']}")
        token, key = ApiToken.issue(
            options["name"],
            options["scope"] or [Scope.READ],
            user=user,
            source=options["source"],
            per_minute=options["per_minute"],
        )
        self.stdout.write(f"令牌 {token.prefix}…（{token.name}）已创建。密钥只显示这一次：")
        self.stdout.write(key)
