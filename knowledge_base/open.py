"""Opening the knowledge base a deployment is configured for: its lexical index under the data directory and,
unless switched off, the vector side (the settings' embedder and its Chroma collection, embedded or a server).

The embedder is built before the store so a wrong embedding setting fails with the setting named; a vector
store that cannot be reached fails the command that needs it (``VectorStoreUnavailable`` names the host),
and the weekly run turns that into a degraded run rather than a failed one.
"""

from __future__ import annotations

from core.settings import Settings
from knowledge_base.embeddings import embedder_from_settings
from knowledge_base.retrieval import Dense, KnowledgeBase
from knowledge_base.store import open_store


def dense_side(settings: Settings) -> Dense:
    embedder = embedder_from_settings(settings)
    store = open_store(settings, name=embedder.name, dimensions=embedder.dimensions)
    return Dense(store=store, embedder=embedder)


def open_knowledge_base(settings: Settings, *, dense: bool = True) -> KnowledgeBase:
    wanted = dense and settings.kb_vectors
    return KnowledgeBase.open(settings.data_dir, (lambda: dense_side(settings)) if wanted else None)
