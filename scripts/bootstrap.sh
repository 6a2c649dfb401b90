#!/usr/bin/env bash
# Installs everything a fresh Debian machine with Python 3.11 lacks: Debian packages (only the
# missing ones), a virtual environment in .venv and the pinned Python requirements.
# Usage: scripts/bootstrap.sh [--dev] [--browser]
set -euo pipefail
cd "$(dirname "$0")/.."

dev=0; browser=0
for arg in "$@"; do
  case "$arg" in
    --dev) dev=1 ;;
    --browser) browser=1 ;;
    *) echo "unknown option $arg" >&2; exit 2 ;;
  esac
done

debs=(poppler-utils fonts-wqy-microhei fonts-wqy-zenhei fonts-arphic-ukai fonts-arphic-uming
      fonts-noto-cjk fonts-dejavu-core fonts-liberation2 gettext)
[ "$browser" = 1 ] && debs+=(chromium)

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
