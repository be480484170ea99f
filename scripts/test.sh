#!/usr/bin/env bash
# The whole test suite: installs what is missing, makes sure PostgreSQL is up, then runs every
# test (unit, integration against SQLite and PostgreSQL, CLI) across the workspace.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
./scripts/ensure-postgres.sh
cargo test --workspace --locked "$@"
