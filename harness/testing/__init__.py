"""The pytest plugin and the targets the integration suite runs against."""
