"""The watchtower command line."""
