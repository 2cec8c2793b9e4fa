"""The FastAPI application: JSON API, auth and the web UI."""
