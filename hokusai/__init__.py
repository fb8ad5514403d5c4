"""Hokusai SDK (bootstrap placeholder)."""
