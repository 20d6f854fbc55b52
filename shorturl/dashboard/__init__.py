"""The web UI: server-rendered pages (landing, sign-in, dashboard, admin) and their assets."""
