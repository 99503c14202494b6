"""Engines behind one small interface per kind, the model pool, and worker boot hooks."""
