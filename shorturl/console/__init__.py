"""What every command group of the `shorturl` CLI shares: where a command acts (the local
database or a remote server), how it prints, and how it fails (messages and exit codes)."""
