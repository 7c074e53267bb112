# The project's verbs. `make help` lists them.
SHELL := /usr/bin/env bash
export PATH := $(CURDIR)/.tools/bin:$(PATH)

.DEFAULT_GOAL := help

.PHONY: help
help: ## List the targets
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

.PHONY: setup
setup: ## Install uv and bun into .tools/ and the locked dependencies
	@scripts/setup

.PHONY: run
run: setup ## Run the app locally, in memory: http://localhost:5173 (API on :8000)
	@scripts/run

.PHONY: test
test: ## Run every check and test (installs what they need)
	@scripts/test

.PHONY: lint
lint: ## Every static check: ruff, mypy, biome, tsc, hadolint, checkov, the workflows, trivy
	@scripts/lint

.PHONY: bench
bench: ## The backend's benchmark: req/s, latency, CPU per request (QUICK=1: seconds)
	@scripts/bench $(if $(QUICK),--quick)

.PHONY: load
load: ## Load test the running app with Locust (USERS=20 DURATION=30s HOST=http://127.0.0.1:8000)
	@scripts/load "$(or $(USERS),20)" "$(or $(DURATION),30s)" "$(or $(HOST),http://127.0.0.1:8000)"

.PHONY: test-backend
test-backend: ## Backend only: pytest on both stores, the quick benchmark
	@scripts/test backend

.PHONY: test-frontend
test-frontend: ## Frontend only: vitest, the production build
	@scripts/test frontend

.PHONY: test-e2e
test-e2e: ## nginx and browser tests on the local stack, the static checks and scans (HEADED=1 shows the browser)
	@scripts/test checks e2e -- $(if $(HEADED),--headed)

.PHONY: test-docker
test-docker: ## Containers: the compose stack (monitoring, replicas, doctor), Swarm, the docs
	@scripts/test docker swarm

# The Docker verbs are the README's docker compose commands, after a check that only looks
# (scripts/require-docker): nothing is installed from them.
.PHONY: up
up: ## docker compose up -d --build --wait: the whole app on http://localhost
	@scripts/require-docker
	docker compose up --detach --build --wait

.PHONY: dev
dev: ## The stack with hot reload in the containers (Compose Watch, compose.dev.yaml; Engine 28+)
	@scripts/require-docker dev
	docker compose -f docker-compose.yml -f compose.dev.yaml up --build --watch

# Every profile's services ('*'): a plain `docker compose down` leaves those of a profile
# it was not given (--profile monitoring) running, with the data volume they mount.
.PHONY: down
down: ## docker compose down, every profile (the data is kept; `make down V=1` deletes it)
	@scripts/require-docker
	docker compose --profile '*' down --remove-orphans $(if $(V),--volumes)
	@$(if $(V),scripts/volumes-left)

.PHONY: logs
logs: ## docker compose logs --follow
	@scripts/require-docker
	docker compose logs --follow

# The drills (docs/drills.md): break it, fix it, check it, on the real engine. One drill is
# in progress at a time; make check and make hint act on it.
.PHONY: drill
drill: ## List the drills and your progress; NAME=... sets one up in a workspace of its own
	@scripts/require-docker
	@scripts/drill $(if $(NAME),start "$(NAME)",list)

.PHONY: check
check: ## Check the drill in progress by its effects, each failure with its reason
	@scripts/drill check

.PHONY: hint
hint: ## One more hint for the drill in progress
	@scripts/drill hint

.PHONY: progress
progress: ## Your report card: the drills you passed, by the course's checklist
	@scripts/drill progress

.PHONY: drill-reset
drill-reset: ## Remove the drill in progress (or NAME=...): containers, images, volumes, workspace
	@scripts/drill reset $(NAME)

.PHONY: doctor
doctor: ## Something wrong with Docker? Checks the classic mistakes, says each fix (JSON=1)
	@scripts/doctor $(if $(JSON),--json)

.PHONY: backup
backup: ## A pg_dump of the compose stack's database, to backups/ (git-ignored)
	@scripts/backup

.PHONY: restore
restore: ## Load a backup into the running stack: make restore FILE=backups/... [FORCE=1]
	@FORCE=$(FORCE) scripts/restore "$(FILE)"

.PHONY: migrate
migrate: setup ## Apply database migrations to DATABASE_URL and exit
	@cd backend && uv run python -m app.migrate

.PHONY: clean
clean: ## Remove installed tools, virtual environments and build output
	rm -rf .tools backend/.venv frontend/node_modules frontend/dist artifacts
