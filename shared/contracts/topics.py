"""Kafka topic names: one per producing service, the dead-letter topic, and the checkpoints
(every service's, kept apart from the services' stories: `crm audit verify` reads them)."""

REGISTRATION = "crm.registration"
PIPELINE = "crm.pipeline"
FORECAST = "crm.forecast"
DEADLETTER = "crm.deadletter"
CHECKPOINTS = "crm.checkpoints"

TOPICS = (REGISTRATION, PIPELINE, FORECAST, DEADLETTER, CHECKPOINTS)
