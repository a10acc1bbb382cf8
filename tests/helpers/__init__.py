"""Test helpers: tiny inline data and config (tiny), fitted models (models), the CLI (cli)."""
