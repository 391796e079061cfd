"""The embedded engine: moto's server, run by the harness with this stack's gaps closed."""
