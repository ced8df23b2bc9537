"""Fan-out: a request's audience, chunk by chunk, becomes rows (preferences applied, similar rows grouped)."""
