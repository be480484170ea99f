#!/usr/bin/env bash
# Installs what a fresh machine needs to build and test foi, and nothing it already has.
# Safe to run repeatedly. Needs root (or sudo) for apt-get.
set -euo pipefail

need_apt=()
command -v cargo >/dev/null 2>&1 || { echo "cargo is missing: install a Rust toolchain (1.88 or newer) first" >&2; exit 1; }
# CI checks formatting and lints before the tests.
cargo fmt --version >/dev/null 2>&1 || rustup component add rustfmt
cargo clippy --version >/dev/null 2>&1 || rustup component add clippy
command -v cc >/dev/null 2>&1 || need_apt+=(gcc)
command -v pg_isready >/dev/null 2>&1 || need_apt+=(postgresql)
# Later test suites use a real SMTP server (aiosmtpd) and a real IMAP server (Dovecot).
/usr/bin/python3 -c 'import aiosmtpd' >/dev/null 2>&1 || need_apt+=(python3-aiosmtpd)
command -v dovecot >/dev/null 2>&1 || need_apt+=(dovecot-imapd)
command -v openssl >/dev/null 2>&1 || need_apt+=(openssl)
[ -x /usr/bin/python3 ] || need_apt+=(python3)
# Document text extraction: OCR of scanned PDF pages (poppler renders, tesseract reads English
# and Simplified Chinese); the tests draw their scanned fixture with PIL in a CJK font.
command -v pdftoppm >/dev/null 2>&1 || need_apt+=(poppler-utils)
command -v tesseract >/dev/null 2>&1 || need_apt+=(tesseract-ocr)
{ command -v tesseract >/dev/null 2>&1 && tesseract --list-langs 2>/dev/null | grep -qx eng; } || need_apt+=(tesseract-ocr-eng)
{ command -v tesseract >/dev/null 2>&1 && tesseract --list-langs 2>/dev/null | grep -qx chi_sim; } || need_apt+=(tesseract-ocr-chi-sim)
/usr/bin/python3 -c 'import PIL' >/dev/null 2>&1 || need_apt+=(python3-pil)
[ -f /usr/share/fonts/truetype/wqy/wqy-zenhei.ttc ] || need_apt+=(fonts-wqy-zenhei)
# Reports: the charts are lettered in DejaVu Sans (config key reports.chart_font; plotters
# reads the font itself, so no fontconfig or freetype -dev package is needed), and the tests
# read the deadline calendar feed back with Python's icalendar.
[ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || need_apt+=(fonts-dejavu-core)
/usr/bin/python3 -c 'import icalendar' >/dev/null 2>&1 || need_apt+=(python3-icalendar)
# The published site's browser test (tests/it/publish.rs) drives headless Chromium through
# chromedriver.
command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)
command -v chromedriver >/dev/null 2>&1 || need_apt+=(chromium-driver)
# The scale bench (benches/scale.rs) reads each command's peak memory from GNU time.
[ -x /usr/bin/time ] || need_apt+=(time)

if [ ${#need_apt[@]} -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  echo "installing: ${need_apt[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need_apt[@]}"
fi
