"""The web channel: the in-app row itself."""
