"""Wire-compatible HTTP dialects of other SMS providers' APIs."""
