"""Webhooks: events a user subscribed to, sent signed to their URL and retried until they land."""
