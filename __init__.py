"""Ventanilla: a GraphQL gateway over a business's ERP or billing database."""

__version__ = "0.1.0"
