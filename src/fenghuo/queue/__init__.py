"""The duty officer's work queue: what waits on the caller or their body (issue 19)."""
