"""The only door to the outside world: LLMs, painters, judges, embeddings.

Heavy SDKs are imported inside the functions that need them, never at module import.
"""
