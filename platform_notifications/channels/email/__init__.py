"""The email channel: immediate, buffered and digest email, its schedules, messages and unsubscribe links."""
