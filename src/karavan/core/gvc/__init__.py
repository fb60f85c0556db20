"""Global value chains: value added in trade, gross-export decompositions, bloc closure.

Modules: ``tiva`` (OECD TiVA indicators), ``borin_mancini``, ``wwz``, ``kww``,
``leontief_decomposition`` (gross-export and final-demand decompositions), ``closure`` (bloc
perimeter and closure indicators), ``sda`` (structural decomposition of their change),
``dependency`` (import-dependency map). Shared by them: ``economies`` (regions and blocs as
economies, bloc resolution, trade flows) and ``domestic_leontief`` (the local Leontief inverses
``(I - A_ss)^-1`` of every region or bloc, factorised once).
"""

from karavan.core.gvc.borin_mancini import borin_mancini
from karavan.core.gvc.closure import ClosureIndicators, closure_indicators, closure_series
from karavan.core.gvc.dependency import DependencyMap, dependency_map, external_input_flows
from karavan.core.gvc.economies import Bloc, economies, resolve_bloc
from karavan.core.gvc.kww import kww_decomposition
from karavan.core.gvc.leontief_decomposition import leontief_decomposition
from karavan.core.gvc.sda import ClosureDecomposition, closure_sda
from karavan.core.gvc.tiva import TivaResult, tiva_indicators
from karavan.core.gvc.wwz import wwz_decomposition, wwz_groups, wwz_to_kww

__all__ = [
    "Bloc",
    "ClosureDecomposition",
    "ClosureIndicators",
    "DependencyMap",
    "TivaResult",
    "borin_mancini",
    "closure_indicators",
    "closure_sda",
    "closure_series",
    "dependency_map",
    "economies",
    "external_input_flows",
    "kww_decomposition",
    "leontief_decomposition",
    "resolve_bloc",
    "tiva_indicators",
    "wwz_decomposition",
    "wwz_groups",
    "wwz_to_kww",
]
