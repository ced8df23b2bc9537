"""The REST API: tray, counts, preferences and unsubscribe (Django REST framework)."""
