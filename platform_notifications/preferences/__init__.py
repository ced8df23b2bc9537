"""Preferences: what users chose, what is effective (in SQL), and the preferences REST views."""
