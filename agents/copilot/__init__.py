"""The account copilot: questions about one account answered from its tools, cited and verified."""
