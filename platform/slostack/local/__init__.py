"""local layer (see ARCHITECTURE.md)."""
