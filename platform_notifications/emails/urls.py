"""Unsubscribe routes (included by the API's urls)."""

urlpatterns: list = []
