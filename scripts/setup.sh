#!/usr/bin/env bash
# Sets dxrpa up on Debian/Ubuntu: Chromium, Japanese fonts, LibreOffice (PDF check of reports),
# PostgreSQL (multi-host mode and its tests), then the package with its test extras in .venv.
# Nothing is downloaded at run time afterwards: the OCR models ship inside the rapidocr wheel.
set -euo pipefail
cd "$(dirname "$0")/.."
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends \
  chromium fonts-ipaexfont fonts-noto-cjk libreoffice-calc-nogui postgresql python3-venv >/dev/null
# more Japanese fonts for bench/ocr_accuracy.py (printed families and handwriting-like seto, kiloji, yozfont)
$SUDO apt-get install -y -qq --no-install-recommends \
  fonts-takao fonts-vlgothic fonts-sawarabi-mincho fonts-sawarabi-gothic fonts-horai-umefont \
  fonts-motoya-l-cedar fonts-migmix fonts-seto fonts-kiloji fonts-yozvox-yozfont >/dev/null
PY=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e '.[test,postgres]'
echo "dxrpa: ready — $(.venv/bin/dxrpa --version), $(chromium --version 2>/dev/null || echo 'chromium missing')"
