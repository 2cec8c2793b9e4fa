"""The sources stage: validated, transactional import and export of raw facts, and the synthetic book."""
