"""The contenders other than Ventanilla itself (which runs as `ventanilla serve`)."""
