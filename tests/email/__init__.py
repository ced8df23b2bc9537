"""Email channel tests."""
