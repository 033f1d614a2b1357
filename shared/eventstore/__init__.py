"""The event store: applications, hash chains, checkpoints, storage, retries, history."""
