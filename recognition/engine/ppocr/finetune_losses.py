"""The two losses of PP-OCR fine-tuning: CTC on labelled lines, distillation on replay lines."""

from __future__ import annotations

import torch
import torch.nn.functional as F


def ctc_per_line(logits: torch.Tensor, targets: list[list[int]], frames: list[int]) -> torch.Tensor:
    """CTC of each line of (T, N, C) logits, divided by its target length (torch's "mean")."""
    flat = torch.tensor([c for t in targets for c in t], dtype=torch.long)
    lengths = torch.tensor([len(t) for t in targets], dtype=torch.long)
    losses = F.ctc_loss(
        logits.log_softmax(-1),
        flat,
        torch.tensor(frames, dtype=torch.long),
        lengths,
        blank=0,
        reduction="none",
        zero_infinity=True,
    )
    return losses / lengths.clamp(min=1)


def distillation_kl(
    student: torch.Tensor, teacher: torch.Tensor, frames: list[int], tau: float
) -> torch.Tensor:
    """τ² · KL(teacher ‖ student) per line of (T, N, C) logits, averaged over its own frames."""
    t = (teacher / tau).log_softmax(-1)
    s = (student / tau).log_softmax(-1)
    per_frame = (t.exp() * (t - s)).sum(-1)  # (T, N)
    mask = torch.arange(per_frame.shape[0])[:, None] < torch.tensor(frames)[None, :]
    counts = torch.tensor(frames, dtype=per_frame.dtype).clamp(min=1)
    return (per_frame * mask).sum(0) / counts * tau**2


def needs_frames(ids: list[int]) -> int:
    """Frames CTC needs for ``ids``: one per character, one more per repeated neighbour."""
    return len(ids) + sum(a == b for a, b in zip(ids, ids[1:]))
