"""Providers: judges."""
