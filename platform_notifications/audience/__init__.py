"""Audience: who receives a request, resolved in chunks as SQL (explicit ids, course-wide filters)."""
