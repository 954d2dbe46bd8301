"""Printable documents (PDF, XLSX) from canonical records: plain functions, no HTTP, no SQL."""
