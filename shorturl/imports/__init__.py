"""Importers: links, tags, expiry and click history from Shlink, YOURLS, Kutt, Bitly and CSV."""
