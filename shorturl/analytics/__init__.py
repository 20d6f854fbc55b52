"""Click analytics: capture on redirect, enrichment in the worker, reports."""
