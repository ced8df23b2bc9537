"""Email: immediate and buffered sends, self-scheduling digests, one-click unsubscribe."""
