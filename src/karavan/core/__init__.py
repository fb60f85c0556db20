"""The numerical engine: pure functions over frozen, validated tables (numpy/scipy/pandas only)."""

from karavan.core.aggregation import BLOCS, EAEU_MEMBERS, Concordance, aggregate, bloc_concordance
from karavan.core.footprints import Accounts, footprint_accounts
from karavan.core.leontief import (
    LeontiefModel,
    allocation_coefficients,
    ghosh_inverse,
    leontief_inverse,
    technical_coefficients,
)
from karavan.core.multipliers import (
    direct_coefficients,
    downstream_multipliers,
    multipliers,
    output_multipliers,
    stressor_coefficients,
    stressor_multipliers,
    value_added_coefficients,
    value_added_multipliers,
)
from karavan.core.table import MRIOTable, TableMetadata
from karavan.core.validation import ValidationReport, validate_table
from karavan.core.value_added import value_added_by_origin, value_added_origin_matrix

__all__ = [
    "BLOCS",
    "EAEU_MEMBERS",
    "Accounts",
    "Concordance",
    "LeontiefModel",
    "MRIOTable",
    "TableMetadata",
    "ValidationReport",
    "aggregate",
    "allocation_coefficients",
    "bloc_concordance",
    "direct_coefficients",
    "downstream_multipliers",
    "footprint_accounts",
    "ghosh_inverse",
    "leontief_inverse",
    "multipliers",
    "output_multipliers",
    "stressor_coefficients",
    "stressor_multipliers",
    "technical_coefficients",
    "validate_table",
    "value_added_by_origin",
    "value_added_coefficients",
    "value_added_multipliers",
    "value_added_origin_matrix",
]
