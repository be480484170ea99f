#!/usr/bin/env bash
# The program's main job until the daemon (`foi run`) lands: load the shipped data and queue
# the twinning-agreement campaign for every active link whose council has a known FOI address.
# Uses the embedded defaults: SQLite under var/, nothing is emailed. Safe to repeat: a second
# run queues nothing new.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --quiet --release
foi=./target/release/foi
$foi seed
$foi queue --campaign "twinning-agreements" --template twinning-agreement --all-twinned --status active
$foi requests list --campaign "twinning-agreements"
