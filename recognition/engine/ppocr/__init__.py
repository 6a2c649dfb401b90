"""PP-OCRv6 text-line recognition (PaddleOCR's weights, Apache-2.0) as a model of our own.

Modules, by what they may import (web and worker processes must never load torch):

* ``config``, ``info``, ``preprocess``, ``decode``, ``source``: numpy, OpenCV, stdlib;
* ``reader``: ONNX Runtime on top of those (the serving path);
* ``network``, ``convert``, ``checkpoint``, ``export``, ``verify``, ``build``: torch and ``onnx``
  (set-up and training only).

This ``__init__`` imports nothing, so importing the reader never pulls in torch.
"""
