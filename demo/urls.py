"""Routes of the demo platform (included at the site root when ``demo`` is installed)."""

from django.contrib.auth import views as auth_views
from django.urls import path

from demo.views import account, alerts, auth, course, forum, inbox, outbox

app_name = "demo"
urlpatterns = [
    path("", auth.home, name="home"),
    path("login/", auth.DemoLoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(next_page="demo:login"), name="logout"),
    path("forum/", forum.forum, name="forum"),
    path("forum/<int:pk>/", forum.post_detail, name="post"),
    path("updates/", course.updates, name="updates"),
    path("grading/", course.grading, name="grading"),
    path("account/notifications/", account.preferences, name="preferences"),
    path("account/digest/", account.digest, name="digest"),
    path("account/settings/", account.settings_page, name="settings"),
    path("notifications/", inbox.inbox, name="inbox"),
    path("outbox/", outbox.outbox, name="outbox"),
    path("alerts/", alerts.alerts, name="alerts"),
    path("approvals/", alerts.approvals, name="approvals"),
    path("forum/<int:pk>/follow/", alerts.follow, name="follow"),
]
