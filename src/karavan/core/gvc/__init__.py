"""Global value chains: value added in trade, gross-export decompositions, bloc closure.

Modules: ``tiva`` (OECD TiVA indicators), ``borin_mancini``, ``wwz``, ``kww``,
``leontief_decomposition`` (gross-export and final-demand decompositions), ``closure`` (bloc
perimeter and closure indicators), ``sda`` (structural decomposition of their change),
``dependency`` (import-dependency map).
"""
