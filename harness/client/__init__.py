"""What a user or a test drives against any target (the local cloud or AWS)."""
