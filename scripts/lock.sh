#!/usr/bin/env bash
# People edit the pins in requirements*.txt; scripts/bootstrap.sh installs the *.lock files made
# from them here: every package, transitive ones too, pinned with the sha256 of each file pip may
# install.
#   scripts/lock.sh           regenerate every lock. Pins already locked are kept unless a .txt
#                             changed them; extra arguments go to pip-compile (-P urllib3 moves one
#                             transitive package to its newest release).
#   scripts/lock.sh --check   fail if a lock is older than the .txt files, then pip-audit the locks
#                             (needs .venv from scripts/bootstrap.sh --dev; scripts/test.sh runs it)
# pip-compile runs in a throw-away venv of its own, never in .venv.
set -euo pipefail
cd "$(dirname "$0")/.."

inputs=(requirements.txt requirements-dev.txt requirements-nodeps.txt bench/requirements.txt
        bench/requirements-nodeps.txt)
locks=(requirements.lock requirements-dev.lock requirements-nodeps.lock bench/requirements.lock
       bench/requirements-nodeps.lock)
# The CPU build of torch is a local wheel (a PyPI torch brings gigabytes of CUDA packages).
torch_wheels=${TORCH_WHEELS:-/opt/wheels}
stamp="# inputs: $(cat "${inputs[@]}" | sha256sum | cut -c1-16) (sha256 of requirements*.txt)"

if [ "${1:-}" = --check ]; then
  for lock in "${locks[@]}"; do
    if ! grep -qxF "$stamp" "$lock"; then
      echo "$lock does not match requirements*.txt: run scripts/lock.sh" >&2
      exit 1
    fi
  done
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  mkdir "$tmp/bench"
  # pip-audit looks releases up by name and version: torch's local label (+cpu) is no PyPI release.
  for lock in "${locks[@]}"; do
    sed -E 's/^([A-Za-z0-9._-]+==[^ +]+)\+[A-Za-z0-9.]+/\1/' "$lock" >"$tmp/$lock"
  done
  # One pip-audit per environment (it refuses a package pinned twice); 2 minutes at most in all.
  n=0
  for env in "requirements-dev.lock requirements-nodeps.lock" \
             "bench/requirements.lock bench/requirements-nodeps.lock"; do
    n=$((n + 1))
    status=0
    timeout 60 .venv/bin/pip-audit --disable-pip --require-hashes --progress-spinner off -f json \
      -o "$tmp/audit-$n.json" $(printf -- "-r $tmp/%s " $env) 2>"$tmp/audit-$n.log" || status=$?
    if [ ! -s "$tmp/audit-$n.json" ]; then
      cat "$tmp/audit-$n.log" >&2
      echo "pip-audit failed on $env (exit $status)" >&2
      exit 1
    fi
  done
  .venv/bin/python - "$tmp"/*.json <<'EOF'
import json
import sys

deps = [d for path in sys.argv[1:] for d in json.load(open(path))["dependencies"]]
vulnerable = [d for d in deps if d.get("vulns")]
skipped = [d for d in deps if "skip_reason" in d]
for d in vulnerable:
    for v in d["vulns"]:
        fixed = ", ".join(v["fix_versions"]) or "no fixed release"
        aliases = " ".join(v["aliases"])
        print(f"VULNERABLE {d['name']}=={d['version']}: {v['id']} {aliases} (fixed in {fixed})")
print(f"==> pip-audit: {len(deps) - len(skipped)} of {len(deps)} pins looked up, "
      f"{len(vulnerable)} with known vulnerabilities")
if skipped:
    print(f"WARNING: the vulnerability service knew nothing of {len(skipped)} pins, e.g. "
          f"{skipped[0]['name']}: {skipped[0]['skip_reason']}")
sys.exit(1 if vulnerable else 0)
EOF
  exit 0
fi

tools=${TMPDIR:-/tmp}/ocr_review-lock-tools
if ! "$tools/bin/pip-compile" --version 2>/dev/null | grep -q "7.6.2"; then
  rm -rf "$tools"
  "${PYTHON:-python3.11}" -m venv "$tools"
  "$tools/bin/pip" install -q --disable-pip-version-check pip==26.3 pip-tools==7.6.2
fi
compile() {  # output, then inputs and options
  local out=$1
  shift
  "$tools/bin/pip-compile" -q --no-config --no-header --generate-hashes --allow-unsafe \
    --strip-extras --no-emit-index-url --find-links "$torch_wheels" -o "$out" "$@" "${extra[@]}"
}
nodeps() {  # output, input: the files pip downloads for each pin, no dependencies
  local dir
  dir=$(mktemp -d)
  "$tools/bin/pip" download -q --disable-pip-version-check --no-deps -d "$dir" -r "$2"
  "$tools/bin/python" - "$dir" >"$1" <<'EOF'
import hashlib
import pathlib
import sys

from packaging.utils import parse_sdist_filename, parse_wheel_filename

for path in sorted(pathlib.Path(sys.argv[1]).iterdir()):
    parse = parse_wheel_filename if path.suffix == ".whl" else parse_sdist_filename
    name, version = parse(path.name)[:2]
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    print(f"{name}=={version} \\\n    --hash=sha256:{digest}")
EOF
  rm -rf "$dir"
}
header() {  # lock, what it is made from
  { echo "# Made by scripts/lock.sh from $2: edit that, never this."
    echo "$stamp"
    grep -v '^# \(Made by\|inputs:\)' "$1"; } >"$1.new"
  mv "$1.new" "$1"
}

extra=("$@")
echo "==> locking from: ${inputs[*]}"
compile requirements.lock requirements.txt
grep -q '^torch==[^ ]*+cpu ' requirements.lock \
  || { echo "torch did not resolve to the CPU wheel in $torch_wheels" >&2; exit 1; }
header requirements.lock requirements.txt
compile requirements-dev.lock -c requirements.lock requirements-dev.txt
header requirements-dev.lock "requirements-dev.txt (runtime as in requirements.lock)"
# Not held to requirements.lock: bench/requirements.txt pins a PyYAML of its own.
compile bench/requirements.lock requirements.txt bench/requirements.txt
header bench/requirements.lock "requirements.txt and bench/requirements.txt"
nodeps requirements-nodeps.lock requirements-nodeps.txt
header requirements-nodeps.lock "requirements-nodeps.txt (for pip --no-deps)"
nodeps bench/requirements-nodeps.lock bench/requirements-nodeps.txt
header bench/requirements-nodeps.lock "bench/requirements-nodeps.txt (for pip --no-deps)"
echo "==> wrote ${locks[*]}"
