from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.http import HttpRequest
from django.utils import timezone

from citydesk.api.models import ApiToken, Delivery, Event, PushDay, Scope, Subscription


class TokenForm(forms.ModelForm):
    scopes = forms.MultipleChoiceField(
        label="权限", choices=Scope.choices, widget=forms.CheckboxSelectMultiple
    )
    per_minute = forms.IntegerField(label="每分钟请求上限", min_value=1, initial=600)

    class Meta:
        model = ApiToken
        fields = ("name", "scopes", "user", "source", "per_minute", "expires_at", "revoked_at")


class SubscriptionForm(forms.ModelForm):
    url = forms.URLField(label="回调地址", max_length=500, assume_scheme="https")
    events = forms.MultipleChoiceField(
        label="事件", choices=Event.choices, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = Subscription
        fields = ("name", "url", "events", "is_active", "secret")


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    form = TokenForm
    list_display = ("name", "prefix", "scopes", "user", "per_minute", "last_used_at", "revoked_at")
    readonly_fields = ("prefix", "last_used_at")
    fields = (
        "name",
        "prefix",
        "scopes",
        "user",
        "source",
        "per_minute",
        "expires_at",
        "revoked_at",
        "last_used_at",
    )
    actions = ["revoke"]

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "user" and not request.user.is_superuser:
            # A token reads and submits as its member: staff make them for themselves
            # only, administrators for anyone.
            kwargs["queryset"] = get_user_model().objects.filter(pk=request.user.pk or 0)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request: HttpRequest, obj: ApiToken, form: Any, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        # A new token's key is made here and shown once; only its digest is stored.
        token, key = ApiToken.issue(
            obj.name,
            obj.scopes or ["read"],
            user=obj.user,
            source=obj.source,
            per_minute=obj.per_minute,
            expires_at=obj.expires_at,
        )
        obj.pk = token.pk
        obj.prefix, obj.key_hash = token.prefix, token.key_hash
        messages.warning(request, f"令牌密钥只显示这一次，请立即复制：{key}")

    @admin.action(description="吊销所选令牌")
    def revoke(self, request: HttpRequest, queryset: Any) -> None:
        count = queryset.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())
        messages.success(request, f"已吊销 {count} 个令牌")


@admin.register(Subscription)
class SubscriptionAdmin(admin.ModelAdmin):
    form = SubscriptionForm
    list_display = ("name", "url", "events", "is_active", "created_at")
    fields = ("name", "url", "events", "is_active", "secret")


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    """The log of deliveries; each is retried by its durable task (后台任务)."""

    list_display = (
        "created_at",
        "subscription",
        "event",
        "article_id",
        "state",
        "attempts",
        "last_status",
        "last_error",
    )
    list_filter = ("state", "event", "subscription")
    readonly_fields = [f.name for f in Delivery._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(PushDay)
class PushDayAdmin(admin.ModelAdmin):
    list_display = ("day", "pushed", "remain", "exhausted", "last_reply")
    readonly_fields = ("day", "pushed", "remain", "exhausted", "last_reply")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
