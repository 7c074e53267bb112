"""Three machines on this one, for the multi-node Swarm test: the test rig.

Each node is a network namespace of its own (its address, routes and firewall), linked to
the others by a veth pair into one bridge, the rig's switch, which lives in a namespace
of its own too; a last link joins the switch to this machine (the rig's host address),
so the test reaches the nodes' published ports. A node runs its own Docker engine
(node.sh, beside this file): own data root, exec root, socket and default bridge, in PID,
mount and UTS namespaces whose first process takes every other with it when it dies. The
registry is a container on this machine's engine, published on the rig's host address
(for the nodes) and on loopback (for the test's `docker push`).

    with swarm_rig() as rig:
        rig.nodes[0].docker("node", "ls")

Nodes have no default route: they reach each other, the rig's host address and nothing
else. Everything the rig makes carries the name tasks-swarm-<id>: namespaces, the one
link on this machine (tsw<id>), the registry container, the image tags pushed through
it, the nodes' cgroups; `remove()` deletes all of it, and `leftovers()` lists what
remains (nothing, when all went well). Needs root, iproute2, util-linux, tini, dockerd.
"""

import errno
import ipaddress
import json
import os
import random
import shutil
import signal
import subprocess
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from harness.polling import poll

RIG_FILES = Path(__file__).parent
NODE_SCRIPT = RIG_FILES / "node.sh"


def rig_image(variable: str) -> str:
    """The image the rig runs for `variable`: the stand-in .ci/standin-images chose, where
    no registry answers, else the default in images.env, beside this file."""
    defaults = (RIG_FILES / "images.env").read_text().splitlines()
    default = next(line.split("=", 1)[1] for line in defaults if line.startswith(f"{variable}="))
    return os.environ.get(variable, default)


# The registry (the CNCF distribution registry, or Debian's package of it as a stand-in).
REGISTRY_IMAGE = rig_image("REGISTRY_IMAGE")
REGISTRY_PORT = 5000
# Where the rig's subnets come from: 10.213.N.0/24, N free on this machine. (Swarm's
# overlay networks take 10.0.N.0/24 by default: no overlap.)
RIG_SUBNETS = [ipaddress.IPv4Network(f"10.213.{n}.0/24") for n in range(1, 255)]
CGROUP_ROOT = Path("/sys/fs/cgroup")


def run(*command: str, check: bool = True, timeout: float = 60) -> str:
    result = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
    if check and result.returncode != 0:
        raise AssertionError(f"{' '.join(command)} failed:\n{result.stderr}")
    return result.stdout.strip()


@dataclass
class Node:
    """One machine: its network namespace, address and Docker engine."""

    name: str  # node1: its hostname, as Swarm lists it
    namespace: str
    address: str
    state: Path  # the engine's data root, socket and log
    cgroup_parent: str
    process: subprocess.Popen[bytes] | None = None

    @property
    def host(self) -> str:
        """For docker -H: the engine's socket."""
        return f"unix://{self.state}/docker.sock"

    def docker(self, *args: str, check: bool = True, timeout: float = 120) -> str:
        """The docker client on this node's engine."""
        return run("docker", "-H", self.host, *args, check=check, timeout=timeout)

    def start(self, *, rig_host: str, registry: str) -> None:
        """The engine, in the node's namespaces; returns once it answers."""
        (self.state / "data").mkdir(parents=True, exist_ok=True)
        with (self.state / "engine.log").open("ab") as log:
            # setpriv --pdeathsig: the node dies with the test process, whatever ends it.
            # unshare --kill-child: and with unshare, which is what kill() signals.
            self.process = subprocess.Popen(
                [
                    "setpriv", "--pdeathsig", "KILL",
                    "nsenter", f"--net=/run/netns/{self.namespace}",
                    "unshare", "--pid", "--fork", "--mount-proc", "--uts", "--kill-child",
                    "tini", "--", str(NODE_SCRIPT),
                    self.name, str(self.state), rig_host, registry, self.cgroup_parent,
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
            )  # fmt: skip

        def answers() -> bool | None:
            assert self.process is not None
            if self.process.poll() is not None:
                log_tail = (self.state / "engine.log").read_text()[-2000:]
                raise AssertionError(f"{self.name}'s engine exited:\n{log_tail}")
            server = self.docker("info", "--format", "{{.ServerVersion}}", check=False, timeout=10)
            return server != "" or None

        poll(answers, within=60, what=f"{self.name}'s engine answering", every=0.2)

    def kill(self) -> None:
        """A power cut: every process of the node at once, engine and containers."""
        if self.process is None:
            return
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=60)  # unshare ends after the namespace's last process
        self.process = None

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None


@dataclass
class SwarmRig:
    """The switch, three nodes and a registry; see the module's docstring."""

    id: str
    subnet: ipaddress.IPv4Network
    work: Path
    nodes: list[Node] = field(default_factory=list)
    registry_push_port: int = 0  # on 127.0.0.1, for this machine's docker push
    pushed: list[str] = field(default_factory=list)  # image tags made on this machine

    @property
    def prefix(self) -> str:
        return f"tasks-swarm-{self.id}"

    @property
    def switch(self) -> str:
        return f"{self.prefix}-switch"

    @property
    def host_link(self) -> str:
        return f"tsw{self.id}"  # an interface name: 15 characters at most

    @property
    def host_address(self) -> str:
        """This machine's address on the rig's network."""
        return str(self.subnet[1])

    @property
    def registry(self) -> str:
        """host:port of the registry, as the nodes reach it."""
        return f"{self.host_address}:{REGISTRY_PORT}"

    @property
    def registry_container(self) -> str:
        return f"{self.prefix}-registry"

    def node(self, name: str) -> Node:
        return next(node for node in self.nodes if node.name == name)

    # ---- Up ----------------------------------------------------------------------------

    def create_network(self) -> None:
        """The switch (a bridge in its own namespace), its link to this machine, and one
        namespace per node with its link to the switch."""
        run("ip", "netns", "add", self.switch)
        run("ip", "-n", self.switch, "link", "set", "lo", "up")
        run("ip", "-n", self.switch, "link", "add", "switch", "type", "bridge")
        run("ip", "-n", self.switch, "link", "set", "switch", "up")
        run("ip", "link", "add", self.host_link, "type", "veth",
            "peer", "name", "host", "netns", self.switch)  # fmt: skip
        run("ip", "addr", "add", f"{self.host_address}/{self.subnet.prefixlen}",
            "dev", self.host_link)  # fmt: skip
        run("ip", "link", "set", self.host_link, "up")
        run("ip", "-n", self.switch, "link", "set", "host", "master", "switch", "up")
        for number in (1, 2, 3):
            node = Node(
                name=f"node{number}",
                namespace=f"{self.prefix}-node{number}",
                address=str(self.subnet[10 + number]),
                state=self.work / f"node{number}",
                cgroup_parent=f"/{self.prefix}-node{number}",
            )
            run("ip", "netns", "add", node.namespace)
            # The node's end is eth0 in its namespace; the switch's end is named after it.
            run("ip", "-n", self.switch, "link", "add", node.name, "type", "veth",
                "peer", "name", "eth0", "netns", node.namespace)  # fmt: skip
            run("ip", "-n", self.switch, "link", "set", node.name, "master", "switch", "up")
            run("ip", "-n", node.namespace, "addr", "add",
                f"{node.address}/{self.subnet.prefixlen}", "dev", "eth0")  # fmt: skip
            run("ip", "-n", node.namespace, "link", "set", "eth0", "up")
            run("ip", "-n", node.namespace, "link", "set", "lo", "up")
            self.nodes.append(node)

    def start_registry(self) -> None:
        run("docker", "run", "--detach", "--name", self.registry_container,
            "--label", f"tasks.swarm-rig={self.id}",
            "--publish", f"127.0.0.1::{REGISTRY_PORT}",
            "--publish", f"{self.host_address}:{REGISTRY_PORT}:{REGISTRY_PORT}",
            REGISTRY_IMAGE)  # fmt: skip
        published = run("docker", "port", self.registry_container, f"{REGISTRY_PORT}/tcp")
        self.registry_push_port = next(
            int(line.rsplit(":", 1)[1]) for line in published.splitlines() if "127.0.0.1" in line
        )

    def start_engines(self) -> None:
        for node in self.nodes:
            node.start(rig_host=self.host_address, registry=self.registry)

    def form_swarm(self) -> None:
        """Three managers: node1 initialises the swarm, the others join it as managers."""
        first, *others = self.nodes
        first.docker("swarm", "init", "--advertise-addr", first.address,
                     "--listen-addr", f"{first.address}:2377")  # fmt: skip
        token = first.docker("swarm", "join-token", "--quiet", "manager")
        for node in others:
            node.docker(
                "swarm", "join", "--token", token, "--advertise-addr", node.address,
                "--listen-addr", f"{node.address}:2377", f"{first.address}:2377",
            )  # fmt: skip

    def push(self, image: str, name: str) -> str:
        """`image` from this machine's engine into the registry as tasks/`name`; returns
        the name the nodes pull it by."""
        local = f"127.0.0.1:{self.registry_push_port}/tasks/{name}"
        run("docker", "tag", image, local)
        self.pushed.append(local)
        run("docker", "push", "--quiet", local, timeout=600)
        return f"{self.registry}/tasks/{name}"

    def power_cut(self, node: Node) -> float:
        """`node` dies at once, as a machine losing power: its link goes dark first (so
        that its dying processes send no last word, no FIN or RST), then every process
        of it, engine and containers, is killed. Returns when its link went dark
        (time.monotonic()): a request started before then may have been in flight on it,
        even one started after this method was called (`ip` takes a while to start)."""
        run("ip", "-n", self.switch, "link", "set", node.name, "down")
        dark = time.monotonic()
        node.kill()
        return dark

    def side_load(self, images: list[str], node: Node) -> None:
        """`images` from this machine's engine straight into `node`'s, without a registry:
        what a node that had pulled them from a public registry before would hold."""
        with subprocess.Popen(["docker", "save", *images], stdout=subprocess.PIPE) as save:
            load = subprocess.run(
                ["docker", "-H", node.host, "load", "--quiet"],
                stdin=save.stdout, capture_output=True, timeout=600, check=False,
            )  # fmt: skip
        assert save.returncode == 0, f"docker save {' '.join(images)} failed"
        assert load.returncode == 0, load.stderr

    # ---- Down --------------------------------------------------------------------------

    def remove(self) -> None:
        """Everything the rig made, gone: nodes (all their processes), their cgroups and
        folders, the namespaces with their links and bridge, the registry, the tags.
        Every step is tried even when one fails; the first failure is raised at the end."""
        failures: list[BaseException] = []

        def step(action: Callable[[], object]) -> None:
            try:
                action()
            except Exception as error:  # raised after the other steps
                failures.append(error)

        for node in self.nodes:
            step(node.kill)
        for parent in [node.cgroup_parent for node in self.nodes]:
            step(partial(remove_cgroup, parent))
        for namespace in [node.namespace for node in self.nodes] + [self.switch]:
            run("ip", "netns", "delete", namespace, check=False)
        # Deleting the switch's namespace takes its end of the host link, and so the link,
        # once the kernel has freed the namespace (soon after, not at once).
        step(lambda: poll(lambda: not self._host_link_exists() or None, within=30,
                          what=f"link {self.host_link} gone"))  # fmt: skip
        run("docker", "rm", "--force", "--volumes", self.registry_container, check=False)
        # Latest first, so that a variant built FROM a pushed image goes before it. Forced:
        # a tag that is an image's last (its project name moved on to a rebuild, as the
        # compose tests beside this one do) is otherwise refused while a container or a
        # child image uses that image; forced, the tag goes and the image stays for them.
        for tag in reversed(self.pushed):
            step(partial(run, "docker", "image", "rm", "--force", tag))
        shutil.rmtree(self.work, ignore_errors=True)
        if failures:
            raise failures[0]

    def leftovers(self) -> list[str]:
        """What is still there of the rig: empty once removed."""
        found = [
            f"netns {name}" for name in run("ip", "netns", "list").split() if self.prefix in name
        ]
        if self._host_link_exists():
            found.append(f"link {self.host_link}")
        found += [f"cgroup {path}" for path in CGROUP_ROOT.glob(f"*/{self.prefix}-*")]
        found += [f"cgroup {path}" for path in CGROUP_ROOT.glob(f"{self.prefix}-*")]
        found += [f"process {node.name}" for node in self.nodes if node.alive]
        if run("docker", "ps", "--all", "--quiet", "--filter", f"name={self.prefix}"):
            found.append(f"container {self.registry_container}")
        listed = run("docker", "image", "ls", "--format", "{{.Repository}}:{{.Tag}}")
        found += [f"image {tag}" for tag in self.pushed if tag in listed.splitlines()]
        if self.work.exists():
            found.append(f"folder {self.work}")
        return found

    def _host_link_exists(self) -> bool:
        return Path(f"/sys/class/net/{self.host_link}").exists()


def remove_cgroup(parent: str) -> None:
    """The cgroups a node's engine made for its containers (they outlive a killed engine),
    in every hierarchy (cgroup v1) or in the one (v2), deepest first. A cgroup whose last
    processes are still being reaped refuses to go (EBUSY) for a moment: tried again."""
    relative = parent.lstrip("/")
    tops = [CGROUP_ROOT / relative, *CGROUP_ROOT.glob(f"*/{relative}")]

    def removed() -> bool | None:
        for top in tops:
            for directory, _, _ in sorted(os.walk(top), key=lambda entry: -len(entry[0])):
                try:
                    Path(directory).rmdir()
                except OSError as error:
                    if error.errno == errno.EBUSY:
                        return None
                    raise
        return True

    poll(removed, within=30, what=f"cgroups {parent} removed", every=0.2)


def free_subnet() -> ipaddress.IPv4Network:
    """A rig subnet that no route of this machine overlaps."""
    routes = json.loads(run("ip", "-json", "-4", "route", "show", "table", "all"))
    taken = [
        ipaddress.ip_network(route["dst"], strict=False)
        for route in routes
        if route.get("dst", "default") not in ("default",) and ":" not in route["dst"]
    ]
    candidates = [subnet for subnet in RIG_SUBNETS if not any(subnet.overlaps(t) for t in taken)]
    if not candidates:
        raise AssertionError("no free 10.213.N.0/24 subnet for the rig")
    # Random, so that rigs of runs that overlap in time get different subnets.
    return random.choice(candidates)  # noqa: S311 (no secret)


@contextmanager
def swarm_rig() -> Iterator[SwarmRig]:
    """Three engines in their namespaces, a registry, the swarm formed (three managers);
    all removed afterwards, whatever happened."""
    rig_id = uuid.uuid4().hex[:6]
    rig = SwarmRig(
        id=rig_id,
        subnet=free_subnet(),
        work=Path(tempfile.mkdtemp(prefix=f"tasks-swarm-{rig_id}-")),
    )
    try:
        rig.create_network()
        rig.start_registry()
        rig.start_engines()
        rig.form_swarm()
        yield rig
    finally:
        rig.remove()
