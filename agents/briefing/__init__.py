"""The weekly briefing: facts per audience, a narrative checked against them, Markdown and HTML, stored and sent."""
