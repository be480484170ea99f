#!/usr/bin/env bash
# A first campaign: load the shipped data and queue the twinning-agreement request, one letter
# per council covering all its links (whatever their status: an ended link's records matter
# too), for every council with a known FOI address, then list them. Uses the embedded defaults
# (SQLite under var/). Safe to repeat: a second run queues nothing new. Then `foi run` (the
# daemon) sends them: to files under var/mail/outbox/ until SMTP is configured.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --quiet --release
foi=./target/release/foi
$foi seed
$foi queue --campaign "twinning-agreements" --template twinning-agreement --all-twinned
$foi requests list --campaign "twinning-agreements"
