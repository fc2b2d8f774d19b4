#!/usr/bin/env bash
# Headless Chromium for the HTML report's browser test
# (cmd/herolog TestHTMLInBrowser). Runs as root on a fresh Debian machine;
# does nothing when a chromium is already installed.
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then
  echo "chromium: $(chromium --version 2>/dev/null || echo present)"
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
apt-get install -y -qq -o DPkg::Lock::Timeout=600 chromium >/dev/null
echo "chromium: $(chromium --version 2>/dev/null)"
