"""Facts about the network side of a request: which address the client really has."""
