"""The web portal: server-rendered pages (Jinja2 templates, vendored htmx) for customers.

`routes.portal_routes` gives the Starlette routes the composition root serves next to
the native API; every page calls services only (docs/portal.md).
"""
