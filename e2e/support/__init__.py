"""What the end-to-end tests share besides the stacks: paths, the browser, the docs' map
and picture, the dashboards' and runbooks' readers, a terminal, a TCP forwarder."""
