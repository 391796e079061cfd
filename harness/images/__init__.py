"""Images the local flow needs on a machine that may have no container registry."""
