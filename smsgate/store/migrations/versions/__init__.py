"""Schema revisions, oldest first; each is explicit DDL equivalent to `store.schema` at its time."""
