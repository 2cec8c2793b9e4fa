"""Domain models, settings and storage shared by every stage of the flow."""
