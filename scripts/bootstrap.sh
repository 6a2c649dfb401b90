#!/usr/bin/env bash
# Installs everything a fresh Debian machine with Python 3.11 lacks: Debian packages (only the
# missing ones), a virtual environment in .venv and the pinned Python requirements.
# Usage: scripts/bootstrap.sh [--dev] [--browser] [--bench]
#   --bench also installs Tesseract and a separate .venv-bench (the app's requirements plus the peer
#   engines of bench/requirements.txt), so benchmark-only packages never enter the app's .venv.
set -euo pipefail
cd "$(dirname "$0")/.."

dev=0; browser=0; bench=0
for arg in "$@"; do
  case "$arg" in
    --dev) dev=1 ;;
    --browser) browser=1 ;;
    --bench) bench=1 ;;
    *) echo "unknown option $arg" >&2; exit 2 ;;
  esac
done

debs=(poppler-utils fonts-wqy-microhei fonts-wqy-zenhei fonts-arphic-ukai fonts-arphic-uming
      fonts-noto-cjk fonts-dejavu-core fonts-liberation2 gettext)
[ "$browser" = 1 ] && debs+=(chromium)
[ "$bench" = 1 ] && debs+=(tesseract-ocr tesseract-ocr-chi-sim tesseract-ocr-eng)

missing=()
for pkg in "${debs[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "==> installing Debian packages: ${missing[*]}"
  sudo_cmd=""
  [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fc-cache -f >/dev/null 2>&1 || true
fi

python=${PYTHON:-python3.11}
command -v "$python" >/dev/null || python=python3
if [ ! -x .venv/bin/python ]; then
  echo "==> creating .venv with $python"
  "$python" -m venv .venv
fi
req=requirements.txt
[ "$dev" = 1 ] && req=requirements-dev.txt
stamp=.venv/.installed-$(cat requirements.txt "$req" | sha256sum | cut -c1-16)
if [ ! -f "$stamp" ]; then
  echo "==> installing Python requirements ($req)"
  .venv/bin/pip install -q --disable-pip-version-check -r "$req"
  touch "$stamp"
fi

if [ "$bench" = 1 ]; then
  if [ ! -x .venv-bench/bin/python ]; then
    echo "==> creating .venv-bench with $python"
    "$python" -m venv .venv-bench
  fi
  stamp=.venv-bench/.installed-$(cat requirements.txt bench/requirements*.txt | sha256sum | cut -c1-16)
  if [ ! -f "$stamp" ]; then
    echo "==> installing benchmark requirements"
    .venv-bench/bin/pip install -q --disable-pip-version-check -r requirements.txt -r bench/requirements.txt
    # rapidocr-onnxruntime declares the GUI opencv-python; the headless build serves it as well.
    .venv-bench/bin/pip install -q --disable-pip-version-check --no-deps -r bench/requirements-nodeps.txt
    touch "$stamp"
  fi
fi
