"""Intake: record decoding and validation, the durable event log, batching into the store."""
