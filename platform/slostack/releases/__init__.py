"""releases layer (see ARCHITECTURE.md)."""
