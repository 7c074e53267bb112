"""The ways the end-to-end tests run the app: on this machine without containers (local),
with docker compose (compose), on Swarm on this machine's engine (swarm_one_node), and on
the test rig's three Swarm nodes (swarm_three_nodes); app.py, what the browser tests need
of any of them."""
