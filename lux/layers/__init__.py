"""Layer implementations, one module per family (re-exported by `lux`)."""
