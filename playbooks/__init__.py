"""Scorecards and playbooks: the health model, segmentation, scoring, and later plays and timelines."""
