#!/usr/bin/env bash
# What the tests need from the system, installed when missing: Debian's Chromium (browser tests, driven by
# Playwright with executable_path; never a downloaded browser), a CJK font (no tofu in screenshots and charts),
# poppler-utils (PDF pages to PNG) and the PostgreSQL 15 server binaries (the tests start a throwaway server).
set -euo pipefail
need=()
command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ] || need+=(chromium)
fc-list 2>/dev/null | grep -qiE "wenquanyi|noto sans cjk|noto serif cjk" || need+=(fonts-wqy-microhei)
command -v pdftoppm >/dev/null 2>&1 || need+=(poppler-utils)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql-15)
if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "!! missing system packages: ${need[*]} (need root and apt-get to install them); the tests that need" >&2
  echo "!! them will be skipped with a message" >&2
  exit 0
fi
echo "installing system packages: ${need[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
