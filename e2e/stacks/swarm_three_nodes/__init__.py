"""Swarm on three machines made on this one (the test rig): nodes.py starts them (with
node.sh, run inside each, and images.env, the images they use), cluster.py deploys the
stack on them and watches it."""
