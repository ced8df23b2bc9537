"""Unit tests of the foundation: configuration, sending, durability, audiences, preferences, retention."""
