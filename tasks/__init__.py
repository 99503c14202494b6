"""Celery tasks, one module per queue. Thin: load inputs, call an engine, write results, emit events."""
