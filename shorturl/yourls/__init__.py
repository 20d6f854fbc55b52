"""The YOURLS API (`/yourls-api.php`) over the links and accounts domains."""
