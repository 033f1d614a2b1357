"""Messaging: the bus, inbox, outbox and the runtime that runs the workers."""
