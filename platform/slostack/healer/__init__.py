"""healer layer (see ARCHITECTURE.md)."""
