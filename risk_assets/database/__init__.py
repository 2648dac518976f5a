"""PostgreSQL: the embedded default server and connections to any server."""
