"""Importers: each is a pure function from a source file to records; no database here."""
