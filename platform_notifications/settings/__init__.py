"""Open edX plugin settings (``plugin_settings(settings)`` per settings type)."""
