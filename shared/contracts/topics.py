"""Kafka topic names: one per producing service, plus the dead-letter topic."""

REGISTRATION = "crm.registration"
PIPELINE = "crm.pipeline"
FORECAST = "crm.forecast"
DEADLETTER = "crm.deadletter"

TOPICS = (REGISTRATION, PIPELINE, FORECAST, DEADLETTER)
