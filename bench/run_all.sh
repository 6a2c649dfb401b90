#!/usr/bin/env bash
# Re-measures every published figure of the recognition and end-to-end issues into bench/results/.
# Run on an idle machine (no training job): throughput figures are this machine's.
#   bench/run_all.sh [--bills N]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh --bench
export DJANGO_DEBUG=1
py=.venv-bench/bin/python
bills=20; [ "${1:-}" = --bills ] && bills=$2

$py manage.py make_line_set --kind general --out var/eval/general-heldout -n 1000 >/dev/null
$py manage.py make_line_set --kind numeric --out var/eval/numeric-heldout -n 1000 >/dev/null
for set in general-heldout numeric-heldout; do
  [ "$set" = numeric-heldout ] && model=numeric || model=general
  $py manage.py evaluate_ocr --lines "var/eval/$set" --model "$model" --threads 2 \
    --json "bench/results/eval-$set.json"
done
samples=${OCR_SAMPLES_DIR:-../shared/samples}
if [ -d "$samples" ]; then
  $py manage.py evaluate_ocr --lines "$samples/real-zh/lines" --model general --threads 2 \
    --json bench/results/eval-general-real-zh.json
  $py manage.py evaluate_ocr --lines "$samples/real/lines" --model general --ignore-case \
    --threads 2 --json bench/results/eval-general-sroie.json
  $py bench/peers.py
fi
$py bench/confidence.py --kind general
$py bench/confidence.py --kind numeric
$py bench/throughput.py --kind numeric --threads 2 --json bench/results/throughput-numeric.json
$py bench/throughput.py --kind general --threads 2 --json bench/results/throughput-general.json
$py bench/speed_options.py --fast tiny-ft=recognition/weights/ppocr-v6-tiny-ft.onnx
$py bench/quantization.py
$py bench/line_recall.py --detector-settings default,paddle-max960,page-as-is,imagenet-max960,rapidocr-post,merge-gap-1 --synthetic 10 --photo --sets "" \
  --json bench/results/detector-settings.json --markdown bench/results/detector-settings.md >/dev/null
$py bench/line_recall.py --detector-settings default,uncapped,max-2.3M,max-2.0M --synthetic 4 \
  --camera --sets "" --json bench/results/detector-pixels.json \
  --markdown bench/results/detector-pixels.md >/dev/null
$py bench/detector_memory.py --json bench/results/detector-memory.json >/dev/null
# bench/results/detector-strips.md is written by hand from these three runs' printed tables.
$py bench/detector_memory.py --caps 2600000 --strips 0,640,480,320 \
  --json bench/results/detector-strips-memory.json >/dev/null
$py bench/line_recall.py --detector-settings default,strips-640,strips-480,strips-480-m64 \
  --synthetic 4 --photo --camera --sets ""
$py bench/line_recall.py --detector-settings default,strips-640,strips-480 --sets real,real-zh,real-zh2
$py bench/line_recall.py --finder all --synthetic 10 --photo --sets "" \
  --json bench/results/line-recall-synthetic.json \
  --markdown bench/results/line-recall-synthetic.md >/dev/null
$py bench/e2e.py --bills "$bills"
$py bench/e2e.py --bills 15 --engines ours --out bench/results/e2e-v6
OCR_FAST_READER="$PWD/recognition/weights/ppocr-v6-tiny.onnx" $py bench/e2e.py --bills 15 --engines ours \
  --out bench/results/e2e-v6-published-tiny
OCR_FAST_READER= $py bench/e2e.py --bills 15 --engines ours --out bench/results/e2e-v6-no-fast-reader
$py bench/e2e.py --bills 15 --engines ours --line-finder detector --out bench/results/e2e-v6-detector
