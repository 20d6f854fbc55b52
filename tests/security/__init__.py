"""Security regression tests: one module per attack of issue 23."""
