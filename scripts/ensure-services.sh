#!/usr/bin/env bash
# Make sure PostgreSQL (127.0.0.1:5432) and Redis (127.0.0.1:6379) answer, starting them when
# they are installed but stopped. Prints what is missing; never fails the build by itself
# (the tests then skip the PostgreSQL + Redis half, loudly).
set -u

pg_up() { pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; }
redis_up() { redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null | grep -q PONG; }

if ! pg_up; then
  if command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ]; then
    for version in $(ls /etc/postgresql); do
      pg_ctlcluster --skip-systemctl-redirect "$version" main start 2>/dev/null || true
    done
    for _ in $(seq 1 30); do pg_up && break; sleep 0.5; done
  fi
  pg_up || echo "!!! PostgreSQL is not running on 127.0.0.1:5432 and could not be started" >&2
fi

if ! redis_up; then
  if command -v redis-server >/dev/null 2>&1; then
    mkdir -p /var/lib/redis /var/log/redis 2>/dev/null || true
    # appendonly: queued clicks (the stream) survive a Redis restart; the scaled mode needs it.
    # A Redis that is already running is left as it is.
    redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly yes \
      --appendfsync everysec --dir /var/lib/redis --logfile /var/log/redis/ci.log 2>/dev/null \
      || redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly yes \
        --appendfsync everysec --dir /var/lib/redis
    for _ in $(seq 1 30); do redis_up && break; sleep 0.2; done
  fi
  redis_up || echo "!!! Redis is not running on 127.0.0.1:6379 and could not be started" >&2
fi
exit 0
