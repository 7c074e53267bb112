# Stand-in for the oven/bun image, for test machines where no registry answers.
# The context holds the bun binary from its npm package; user bun (1000) as in the real one.
ARG BASE=tasks-standin/debian:bookworm
FROM ${BASE}
COPY bun /usr/local/bin/bun
RUN ln -s bun /usr/local/bin/bunx \
 && groupadd --gid 1000 bun \
 && useradd --uid 1000 --gid bun --create-home bun
WORKDIR /home/bun/app
CMD ["bun"]
