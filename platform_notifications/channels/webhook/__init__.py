"""Webhooks (signed per Standard Webhooks) and Slack incoming webhooks, behind one SSRF guard."""
