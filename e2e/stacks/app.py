"""What the browser tests need of a running app, whichever way it runs."""

from typing import Protocol


class AppStack(Protocol):
    """The app at `url` (nginx in front of the backend), with control over its backend."""

    @property
    def url(self) -> str:
        """Where a browser opens the app."""

    def stop_backend(self) -> None:
        """Stop the backend: the page's calls to /api now fail."""

    def start_backend(self) -> None:
        """Start the backend again on its database, and wait until it is ready."""

    def restart_backend_in_memory(self) -> None:
        """Restart the backend without DATABASE_URL: tasks in memory, demo tasks only."""
