"""Value added by origin, absorbed by each region's final demand.

``VA[(i, s), r] = (v_(i,s) / x_(i,s)) * (L Y_r)_(i,s)``: the value added created in sector ``s``
of region ``i`` that ends up embodied in region ``r``'s final use (Johnson and Noguera 2012,
"Accounting for intermediates", J. Int. Econ. 86: 224-236, eq. 5; the TiVA ``FD_VA`` measure).
Summed over ``r`` it equals total value added when the table is balanced.
"""

from __future__ import annotations

import pandas as pd

from karavan.core.leontief import LeontiefModel
from karavan.core.multipliers import _per_output
from karavan.errors import LabelError

__all__ = ["value_added_by_origin", "value_added_origin_matrix"]


def value_added_by_origin(model: LeontiefModel, component: str | None = None) -> pd.DataFrame:
    """Origin (region, sector) x absorbing region: value added embodied in final use.

    ``component`` picks one value-added component; by default their sum.
    """
    t = model.table
    if component is None:
        v = t.V.sum(axis=0, keepdims=True)
        label = "value added"
    else:
        if component not in t.va_components:
            raise LabelError(
                f"unknown value-added component {component!r}; "
                f"the table has {list(t.va_components)}"
            )
        v = t.V[[t.va_components.index(component)], :]
        label = component
    coef = _per_output(t, v, "value added", (label,))[0]
    x_by_region = model.output_by_region()
    return pd.DataFrame(
        coef[:, None] * x_by_region,
        index=t.industry_index,
        columns=pd.Index(t.regions, name="absorbing_region"),
    )


def value_added_origin_matrix(model: LeontiefModel, component: str | None = None) -> pd.DataFrame:
    """Origin region x absorbing region: the sector detail of :func:`value_added_by_origin`
    summed within each origin region."""
    frame = value_added_by_origin(model, component)
    out = frame.groupby(level="region", sort=False).sum()
    out.index.name = "origin_region"
    return out
