"""Opening the knowledge base a deployment is configured for: its indexes under the data directory and,
unless asked not to, the vector side."""

from __future__ import annotations

from core.settings import Settings
from knowledge_base.retrieval import KnowledgeBase


def open_knowledge_base(settings: Settings, *, dense: bool = True) -> KnowledgeBase:
    return KnowledgeBase.open(settings.data_dir, None)
