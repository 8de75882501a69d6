"""Customer-facing adapters: the native REST API (`native/`), the provider dialects
(`compat/`), the HTTP error table, and the SMPP server for customers (`smpp/`).

The app factory is `smsgate.api.http.build_app`; this package imports nothing eagerly
so that a dialect can use `api.errors` without pulling in the whole native API.
"""
