#!/usr/bin/env bash
# Installs what dxrpa needs on Debian/Ubuntu: Chromium, Japanese fonts, LibreOffice (PDF check of
# reports), PostgreSQL (multi-host mode and its tests), then the package with its test extras.
# Nothing is downloaded at run time afterwards: OCR models ship inside the rapidocr wheel.
set -euo pipefail
cd "$(dirname "$0")/.."
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends \
  chromium fonts-ipaexfont fonts-noto-cjk libreoffice-calc-nogui postgresql >/dev/null
python3 -m pip install -q --upgrade pip >/dev/null
python3 -m pip install -q -e '.[test,postgres]'
echo "dxrpa: setup done ($(chromium --version 2>/dev/null || echo 'chromium missing'))"
