"""The worker: consumes click events, runs the periodic jobs; in the web process or its own."""
