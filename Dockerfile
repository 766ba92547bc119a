# syntax=docker/dockerfile:1
# eggwatch image: `eggwatch <command>` (docker-compose.yml runs ingest, api, analytics, gateways).
# Two stages: the first installs the package and its wheels into a virtualenv; the final image
# gets only that virtualenv and the dashboards, runs as an unprivileged user, has no compilers.

ARG PYTHON_IMAGE=python:3.11.11-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
RUN python -m venv /opt/eggwatch
# Dependencies first (cached while only the code changes): every one ships manylinux wheels.
COPY pyproject.toml README.md ./
RUN mkdir -p eggwatch gateway ingest analytics api firmware_stubs simulator \
 && for p in eggwatch gateway ingest analytics api firmware_stubs simulator; do touch $p/__init__.py; done \
 && /opt/eggwatch/bin/pip install . \
 && /opt/eggwatch/bin/pip uninstall -y eggwatch
COPY eggwatch ./eggwatch
COPY gateway ./gateway
COPY ingest ./ingest
COPY analytics ./analytics
COPY api ./api
COPY firmware_stubs ./firmware_stubs
COPY simulator ./simulator
RUN /opt/eggwatch/bin/pip install --no-deps . \
 && /opt/eggwatch/bin/eggwatch --help > /dev/null

FROM ${PYTHON_IMAGE}
RUN groupadd --system --gid 10001 eggwatch \
 && useradd --system --uid 10001 --gid eggwatch --home-dir /var/lib/eggwatch --shell /usr/sbin/nologin eggwatch \
 && mkdir -p /var/lib/eggwatch /app \
 && chown eggwatch:eggwatch /var/lib/eggwatch
COPY --from=build /opt/eggwatch /opt/eggwatch
# For `eggwatch dashboards push` (it reads ./dashboards from the working directory).
COPY dashboards/json /app/dashboards/json
COPY dashboards/provisioning /app/dashboards/provisioning
ENV PATH=/opt/eggwatch/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    EGGWATCH_DATA_DIR=/var/lib/eggwatch
WORKDIR /app
USER eggwatch:eggwatch
VOLUME ["/var/lib/eggwatch"]
EXPOSE 8000
ENTRYPOINT ["eggwatch"]
CMD ["--help"]
