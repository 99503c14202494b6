"""Routes declare what they accept and answer (`operation`); the OpenAPI document is written from those
declarations (`openapi.build_document`)."""

from app.contract.operation import Media, Upload, operation

__all__ = ["Media", "Upload", "operation"]
