# Stand-in for the postgres image, for test machines where no registry answers: PostgreSQL
# 16 (the major the stack names; from PyPI's pgserver wheel, unpacked by
# .ci/standin-images: Debian 12 packages 15 only) behind the official image's interface
# (POSTGRES_USER, POSTGRES_PASSWORD, POSTGRES_PASSWORD_FILE, POSTGRES_DB, PGDATA, user
# postgres 999, the socket in /var/run/postgresql).
ARG BASE=tasks-standin/debian:bookworm
FROM ${BASE}
RUN groupadd --system --gid 999 postgres \
 && useradd --system --uid 999 --gid postgres --home-dir /var/lib/postgresql postgres \
 && mkdir -p /var/lib/postgresql/data /var/run/postgresql \
 && chown -R postgres:postgres /var/lib/postgresql /var/run/postgresql \
 && chmod 700 /var/lib/postgresql/data
COPY postgresql /usr/lib/postgresql-16
# The official image's programs look for the server's socket in /var/run/postgresql,
# where they were built to; these were built for /tmp: PGHOST says where it is.
ENV PATH=/usr/lib/postgresql-16/pgserver/pginstall/bin:$PATH \
    PGDATA=/var/lib/postgresql/data \
    PGHOST=/var/run/postgresql
COPY postgres/docker-entrypoint.sh /usr/local/bin/docker-entrypoint.sh
VOLUME /var/lib/postgresql/data
EXPOSE 5432
STOPSIGNAL SIGINT
ENTRYPOINT ["docker-entrypoint.sh"]
CMD ["postgres"]
