"""The operator console (`/admin`): pages for admin users, one module per group, over
`console.Console` (the admin's session and the audit log)."""
