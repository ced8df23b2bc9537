"""Tutor plugin that deploys platform-notifications on an Open edX platform."""
