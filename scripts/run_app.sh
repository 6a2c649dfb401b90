#!/usr/bin/env bash
# Sets up everything on a fresh Debian machine and runs the app: web server + django-q2 cluster,
# demo document types, demo users and demo bills. Ctrl+C stops both.
# Environment: PORT (8000), Q_WORKERS (1), OCR_DEMO_PASSWORD (random, printed), DEMO_BILLS (3),
# DATABASE_URL / REDIS_URL for the multi-machine set-up (see README).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh

mkdir -p var
if [ -z "${DJANGO_SECRET_KEY:-}" ]; then
  [ -s var/secret_key ] || .venv/bin/python -c "import secrets; print(secrets.token_urlsafe(50))" > var/secret_key
  export DJANGO_SECRET_KEY="$(cat var/secret_key)"
fi
export DJANGO_SETTINGS_MODULE=ocr_review.settings
py=.venv/bin/python

$py manage.py migrate --noinput
$py manage.py collectstatic --noinput -v 0
$py manage.py load_demo --bills "${DEMO_BILLS:-3}"
$py manage.py schedule_maintenance

$py manage.py qcluster &
qpid=$!
trap 'kill $qpid 2>/dev/null; wait $qpid 2>/dev/null' EXIT INT TERM
port=${PORT:-8000}
echo "==> ocr_review on http://127.0.0.1:$port/  (admin: /admin/, API docs: /api/docs/)"
.venv/bin/gunicorn ocr_review.wsgi --bind "0.0.0.0:$port" --workers "${WEB_WORKERS:-2}" \
  --threads 4 --timeout 60 --access-logfile - 
