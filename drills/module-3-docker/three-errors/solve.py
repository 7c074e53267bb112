"""The page's three fixes, then the stack started as a learner starts it."""

from workspace import Workspace


def solve(ws: Workspace) -> None:
    ws.replace("docker-compose.yml", '"18000:80"', '"18080:80"')
    ws.replace("docker-compose.yml", "@localhost:5432", "@db:5432")
    ws.replace(
        "docker-compose.yml",
        "      - POSTGRES_DB=tasks\n",
        "      - POSTGRES_DB=tasks\n"
        "    volumes:\n"
        "      - postgres_data:/var/lib/postgresql/data\n"
        "volumes:\n"
        "  postgres_data:\n",
    )
    ws.compose("up", "-d", "--build", "--wait", "--wait-timeout", "180", timeout=900)
