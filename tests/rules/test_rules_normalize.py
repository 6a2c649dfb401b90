from __future__ import annotations

import pytest

from documents.rules import fold_text, normalize_value


@pytest.mark.parametrize(
    ("raw", "folded"),
    [
        ("  8650.00 ", "8650.00"),
        ("￥１，２３４．５０", "¥1,234.50"),
        ("ＡＢＣ－１２３", "ABC-123"),
        ("（０１０）", "(010)"),
        ("\u3000张三\u3000", "张三"),
        ("张\u3000三", "张 三"),
        ("～！", "~!"),
        ("捌仟陆佰伍拾元整", "捌仟陆佰伍拾元整"),
        ("", ""),
    ],
)
def test_fold_text_strips_and_folds_fullwidth_characters(raw, folded):
    assert fold_text(raw) == folded


@pytest.mark.parametrize(
    ("raw", "kind", "normalized"),
    [
        ("6222  0212\t3456", "account", "6222 0212 3456"),
        ("2024 年  3 月", "date", "2024 年 3 月"),
        ("Acme   Trading  Co", "text", "Acme   Trading  Co"),
        ("John  Smith", "name", "John  Smith"),
        (" ￥８６５０ ", "amount", "¥8650"),
    ],
)
def test_normalize_value_collapses_inner_whitespace_only_for_non_text_kinds(raw, kind, normalized):
    assert normalize_value(raw, kind) == normalized
