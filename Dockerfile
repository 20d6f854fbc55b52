# One image for `shorturl serve` and `shorturl worker` (README: "Containers").
#   docker build -t shorturl .
#   docker build --build-arg BASE=python:3.13-slim -t shorturl .
# A private index or proxy certificate is passed as a build secret, never baked in:
#   --secret id=pipconf,src=/etc/pip.conf --secret id=cacert,src=/etc/ssl/certs/ca-certificates.crt
ARG BASE=python:3.12-slim

FROM ${BASE} AS build
# mypyc compiles the click tracker (scripts/build_native.py): a C compiler and Python's headers
# (the official images have the headers; a Debian base brings python3-dev).
RUN missing=""; command -v gcc >/dev/null || missing="gcc libc6-dev"; \
    python3 -c "import os, sysconfig; raise SystemExit(not os.path.exists(os.path.join(sysconfig.get_paths()['include'], 'Python.h')))" \
      || missing="$missing python3-dev"; \
    if [ -n "$missing" ]; then \
      apt-get update && apt-get install -y --no-install-recommends $missing \
      && rm -rf /var/lib/apt/lists/*; \
    fi
RUN python3 -m venv /opt/shorturl
WORKDIR /src
COPY pyproject.toml README.md ./
COPY shorturl ./shorturl
COPY scripts/build_native.py ./scripts/
RUN --mount=type=secret,id=pipconf --mount=type=secret,id=cacert \
    if [ -f /run/secrets/pipconf ]; then export PIP_CONFIG_FILE=/run/secrets/pipconf; fi; \
    if [ -f /run/secrets/cacert ]; then export PIP_CERT=/run/secrets/cacert; fi; \
    /opt/shorturl/bin/pip install --no-cache-dir --disable-pip-version-check \
      '.[server]' mypy==2.4.1 setuptools==80.9.0 \
    && /opt/shorturl/bin/python scripts/build_native.py \
    && site=$(/opt/shorturl/bin/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])') \
    && cp shorturl/analytics/*.so "$site/shorturl/analytics/" \
    && /opt/shorturl/bin/pip uninstall -y -q mypy setuptools \
    && /opt/shorturl/bin/python -c 'import shorturl.analytics.tracker as t; assert t.__file__.endswith(".so"), t.__file__'

FROM ${BASE}
RUN groupadd --system --gid 10001 shorturl \
    && useradd --system --uid 10001 --gid shorturl --home-dir /data --shell /usr/sbin/nologin shorturl \
    && mkdir -p /data && chown shorturl:shorturl /data
COPY --from=build /opt/shorturl /opt/shorturl
ENV PATH=/opt/shorturl/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    SHORTURL_DATABASE_URL=sqlite+aiosqlite:////data/shorturl.db \
    SHORTURL_LOG_FORMAT=json
# /data: the SQLite database (embedded), or the clicks kept while Redis is away (scaled)
WORKDIR /data
VOLUME /data
USER shorturl
EXPOSE 8080
# Liveness of the web process; compose turns it off for the worker, which serves no HTTP.
# (SHORTURL_HEALTHCHECK_PORT: where `serve --port` is not 8080)
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["python3", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/health/live' % os.environ.get('SHORTURL_HEALTHCHECK_PORT', '8080'), timeout=2)"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["shorturl"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8080"]
