"""Importers of history files: each reads a file and feeds its rows through `channels.ingest`."""
