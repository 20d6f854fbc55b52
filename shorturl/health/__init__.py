"""Health: the seed-001 `/health` report and the Kubernetes probes `/health/live`, `/health/ready`."""
