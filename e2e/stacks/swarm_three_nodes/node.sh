#!/bin/sh
# One machine of the test rig's three-node Swarm (nodes.py, beside it, starts it): a
# firewall, then a Docker engine of its own. The rig runs it inside the node's network
# namespace, as PID 1's child in PID, mount and UTS (hostname) namespaces of its own:
#   nsenter --net=/run/netns/NODE unshare --pid --fork --mount-proc --uts --kill-child \
#     tini -- node.sh NAME STATE RIG_HOST REGISTRY CGROUP_PARENT
#   NAME           the node's hostname, the name Swarm knows it by (node1, ...)
#   STATE          the node's folder: the engine's data root (STATE/data), its socket
#                  (STATE/docker.sock, the only way in for the docker client)
#   RIG_HOST       the test host's address on the rig's network
#   REGISTRY       host:port of the rig's registry (plain HTTP, see docs: Scale out & Swarm)
#   CGROUP_PARENT  where the engine puts its containers' cgroups (the rig removes it)
# Killing PID 1 ends every process of the node at once, containers included: a power cut.
set -eu
name=$1 state=$2 rig_host=$3 registry=$4 cgroup_parent=$5

echo "$name" > /proc/sys/kernel/hostname

# A /run of its own: containerd and dockerd keep sockets and state under fixed paths
# there (/run/containerd, /run/docker), which must not meet the machine's own engine's.
# Mounts made here stay in this namespace and vanish with its last process.
mount -t tmpfs -o mode=0755,nosuid,nodev tmpfs /run

# Other nodes get in on Swarm's ports only, as a firewall between real machines would
# allow: 2377/tcp (the managers' Raft and the API that nodes join through), 7946/tcp+udp
# (gossip: membership, overlay addresses), 4789/udp (VXLAN: the overlay's traffic).
# Replies to what this node opened pass; so does the test host (its requests, through
# nginx's published ports). The mangle table sees each packet before the engine's own
# NAT and filter rules, which the engine rewrites as it likes. The rules live in this
# node's network namespace and end with it.
iptables -t mangle -N RIG-FIREWALL
iptables -t mangle -A RIG-FIREWALL -m conntrack --ctstate ESTABLISHED,RELATED -j RETURN
iptables -t mangle -A RIG-FIREWALL -s "$rig_host" -j RETURN
iptables -t mangle -A RIG-FIREWALL -p tcp --dport 2377 -j RETURN
iptables -t mangle -A RIG-FIREWALL -p tcp --dport 7946 -j RETURN
iptables -t mangle -A RIG-FIREWALL -p udp --dport 7946 -j RETURN
iptables -t mangle -A RIG-FIREWALL -p udp --dport 4789 -j RETURN
iptables -t mangle -A RIG-FIREWALL -j DROP
iptables -t mangle -A PREROUTING -i eth0 -j RIG-FIREWALL

# Its own data root, exec root, pid file and socket; its default bridge (docker0) is in
# this namespace, apart from the machine's. The registry speaks plain HTTP: allowed here
# by name, as a real registry with TLS would not need.
exec dockerd \
  --data-root "$state/data" \
  --exec-root /run/docker \
  --pidfile /run/docker.pid \
  --host "unix://$state/docker.sock" \
  --cgroup-parent "$cgroup_parent" \
  --insecure-registry "$registry" \
  --log-level warn
