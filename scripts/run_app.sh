#!/usr/bin/env bash
# Sets up everything on a fresh Debian machine and runs the app: web server + django-q2 cluster,
# demo document types, demo users and demo bills. Ctrl+C stops both.
# Environment: BIND (127.0.0.1), PORT (8000), Q_WORKERS (1), OCR_DEMO_PASSWORD (random, printed),
# DEMO_BILLS (3), DATABASE_URL / REDIS_URL for the multi-machine set-up (see README).
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
$py manage.py load_types
$py manage.py load_demo --bills "${DEMO_BILLS:-3}"
$py manage.py schedule_maintenance

# One cluster per queue (settings.Q_QUEUES): recognition, webhook delivery, background jobs.
pids=()
base=${Q_NAME:-ocr_review}
for name in "$base" "$base-webhooks" "$base-background"; do
  Q_CLUSTER_NAME=$name $py manage.py qcluster &
  pids+=($!)
done
stop() {
  trap - EXIT INT TERM
  # SIGTERM: each cluster finishes the document its workers hold, then exits (seconds).
  kill -TERM "${pids[@]}" "${web:-}" 2>/dev/null || true
  wait 2>/dev/null || true
}
trap stop EXIT INT TERM
bind=${BIND:-127.0.0.1}
port=${PORT:-8000}
echo "==> ocr_review on http://$bind:$port/  (admin: /admin/, API docs: /api/docs/)"
.venv/bin/gunicorn ocr_review.wsgi --bind "$bind:$port" --workers "${WEB_WORKERS:-2}" \
  --threads 4 --timeout 60 --access-logfile - &
web=$!
wait "$web"
