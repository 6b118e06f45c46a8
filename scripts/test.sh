#!/usr/bin/env bash
# Runs the whole test suite. Starts the local PostgreSQL cluster for tests marked `postgres`
# (Debian's postgresql package; peer authentication, so a superuser role for the current user).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${DXRPA_TEST_PG_URL:-}" ] && command -v pg_ctlcluster >/dev/null; then
  ver=$(ls /etc/postgresql 2>/dev/null | sort -n | tail -1)
  if [ -n "$ver" ]; then
    pg_ctlcluster "$ver" main start 2>/dev/null || true
    me=$(id -un)
    if [ "$me" = root ]; then
      su postgres -c "psql -qtAc \"select 1 from pg_roles where rolname='root'\"" | grep -q 1 \
        || su postgres -c "psql -qc 'create role root superuser login'"
    fi
    psql -qtAc "select 1" -d postgres >/dev/null 2>&1 && {
      psql -qtAc "select 1 from pg_database where datname='dxrpa_test'" -d postgres | grep -q 1 \
        || createdb dxrpa_test
      export DXRPA_TEST_PG_URL="postgresql://${me}@/dxrpa_test?host=/var/run/postgresql"
    }
  fi
fi
PY=python3
if [ -x .venv/bin/python ]; then PY=.venv/bin/python; export PATH="$PWD/.venv/bin:$PATH"; fi
exec "$PY" -m pytest "$@"
