"""Real servers and the means to drive them, shared by the backend's tests (tests/), its
benchmark (bench/) and the end-to-end tests (../e2e): a throwaway PostgreSQL, uvicorn as
a process, the app in process, free loopback ports, polling with a deadline, wrk."""
