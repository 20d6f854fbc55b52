"""Extra short domains: links on `go.example.com` beside the default (SHORTURL_BASE_URL)."""
