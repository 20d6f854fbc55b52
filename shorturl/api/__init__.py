"""API v1 plumbing shared by every domain: the response envelope and the error wire formats."""
