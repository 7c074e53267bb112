"""Task list API of the DevOps course."""
