"""The local cloud's lifecycle: the Docker host, the containers' network, up, down, status."""
