"""Example memory: corpora, the Chroma example store, retrieval and self-memory."""
