"""How bill values are written: amounts in figures and in Chinese capitals, check digits.

Pure (standard library only). The rule engine checks values with it and the recognition engine's
text generator writes valid values with it, so both agree on one definition.
"""
