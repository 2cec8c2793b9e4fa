"""A reproducible synthetic book of business with planted, labelled scenarios."""
