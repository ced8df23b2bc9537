"""Home and password login; the login page lists the seeded demo accounts."""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from demo.seed import DEMO_PASSWORD, DEMO_USERS


def home(request: HttpRequest) -> HttpResponse:
    return redirect("demo:forum" if request.user.is_authenticated else "demo:login")


class DemoLoginView(auth_views.LoginView):
    template_name = "demo/login.html"
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs) -> dict:
        context = super().get_context_data(**kwargs)
        context["demo_users"] = DEMO_USERS
        context["demo_password"] = DEMO_PASSWORD
        return context
