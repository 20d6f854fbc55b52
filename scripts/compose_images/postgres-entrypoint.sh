# First start on an empty volume: a cluster owned by $POSTGRES_USER (password auth over TCP)
# with the database $POSTGRES_DB, as the official image makes; then PostgreSQL itself.
set -eu
if [ ! -s "$PGDATA/PG_VERSION" ]; then
    secret=$(mktemp)
    printf '%s' "$POSTGRES_PASSWORD" > "$secret"
    initdb -D "$PGDATA" -U "$POSTGRES_USER" --pwfile="$secret" \
        --auth-local=trust --auth-host=scram-sha-256
    rm -f "$secret"
    echo "host all all all scram-sha-256" >> "$PGDATA/pg_hba.conf"
    pg_ctl -D "$PGDATA" -o "-c listen_addresses=''" -w start
    if [ "${POSTGRES_DB:-$POSTGRES_USER}" != "postgres" ]; then
        createdb -U "$POSTGRES_USER" "${POSTGRES_DB:-$POSTGRES_USER}"
    fi
    pg_ctl -D "$PGDATA" -m fast -w stop
fi
exec "$@" -D "$PGDATA" -c listen_addresses='*'
