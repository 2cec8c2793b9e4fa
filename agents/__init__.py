"""LangGraph graphs: the watchtowers, the weekly cycle, the copilot and the briefing writer."""
