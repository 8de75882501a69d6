"""The native JSON API under /api/v1: schemas, endpoints, the OpenAPI document and /docs."""
