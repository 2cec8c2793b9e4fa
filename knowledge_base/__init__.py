"""Embeddings, the Chroma store and account-filtered retrieval."""
