"""Intake: a producer's event or call becomes a validated, durable request (the outbox row), or a stored refusal."""
