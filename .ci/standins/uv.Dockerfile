# Stand-in for the uv image (only /uv and /uvx, as the real one), for test machines where
# no registry answers. The context holds the binaries from uv's PyPI wheel.
FROM scratch
COPY uv uvx /
