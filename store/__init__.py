"""Ventanilla's own store: identities and whatever a read-only legacy source cannot hold."""
