"""Unsubscribe routes (included by the API's urls)."""

from django.urls import path

from platform_notifications.channels.email import views

urlpatterns = [
    # RFC 8058 one-click target named in List-Unsubscribe.
    path("unsubscribe/<str:token>/", views.one_click, name="email_unsubscribe"),
    # The path Open edX's emails and front end use.
    path("preferences/update/<str:token>/", views.openedx_update, name="email_preferences_update"),
    path("unsubscribe-links/revoke/", views.RevokeLinksView.as_view(), name="revoke_unsubscribe_links"),
]
