"""Layer implementations, one module per family; `lux` re-exports each module's `__all__`."""

__all__: list[str] = []
