"""Browser push: Web Push with VAPID through pywebpush."""
