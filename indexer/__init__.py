"""Reads archive documents, splits them into articles and writes the search index."""
