"""Ingest: the HTTP API's record routes and the file import, into `storage.ingest`."""
