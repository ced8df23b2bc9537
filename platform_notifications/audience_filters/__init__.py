"""Audience filter implementations: Open edX's models, or the standalone ``CourseMembership`` roster."""
