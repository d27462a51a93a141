from django.urls import path

from citydesk.wechat import views

app_name = "wechat"
urlpatterns = [path("jssdk/", views.jssdk_config, name="jssdk")]
