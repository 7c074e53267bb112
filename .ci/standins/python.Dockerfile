# Stand-in for the python image, for test machines where no registry answers.
# Debian's Python 3.11 (the project needs >= 3.11); built by .ci/standin-images only.
ARG BASE=tasks-standin/debian:bookworm
FROM ${BASE}
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      python3=3.11.* python3-venv=3.11.* \
 && rm -rf /var/lib/apt/lists/* \
 && ln -s /usr/bin/python3 /usr/local/bin/python
CMD ["python3"]
