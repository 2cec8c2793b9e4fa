"""Approval policy, queue, decisions, audit and the resume of paused runs."""
