"""Ventanilla's benchmark: `python -m bench run --scale S` (see bench/README.md)."""
