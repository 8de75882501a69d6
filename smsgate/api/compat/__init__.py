"""Wire-compatible HTTP dialects of other SMS providers' APIs: one sub-package each, with
`routes`, `parse`, `render` and `tables` modules, built from one `dialect.DialectServices`."""
