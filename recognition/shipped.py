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
