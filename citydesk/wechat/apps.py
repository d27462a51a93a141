from django.apps import AppConfig


class WechatConfig(AppConfig):
    name = "citydesk.wechat"
    verbose_name = "微信"
