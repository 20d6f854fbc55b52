"""Target page metadata (title, description, image), fetched off the request path after a
link is created or its target changes, shown by `GET /{code}/info` and the API."""
