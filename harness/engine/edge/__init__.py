"""The HTTP edge in front of every engine: serving, request checks, signatures."""
