"""The model files shipped with the app (in OCR_WEIGHTS_DIR); no Django, so scripts can read it."""

from __future__ import annotations

# What each kind serves until another version is activated, and the PyTorch checkpoint it was
# exported from. ppocr-v6-small.* are written at set-up by `manage.py convert_ppocr` from the
# pinned rapidocr wheel (PaddleOCR's PP-OCRv6 small, Apache-2.0).
SHIPPED = {"numeric": "numeric.onnx", "general": "ppocr-v6-small.onnx"}
SHIPPED_TRAINING = {"numeric": "numeric.pt", "general": "ppocr-v6-small.pt"}
