"""Providers: painters."""
