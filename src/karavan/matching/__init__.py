"""Cooperation matching: a need, a project's inputs or an external input flow -> ranked
suppliers and science centres in the member states, each with the evidence for its place.

Reads the registry and trade through their public APIs; the MRIO table for a project's inputs
is passed in by the entry points (this layer does not open datasets itself). The one service
the HTTP API, the CLI and Python callers use is :class:`Matcher`; how it works, with every
weight: ``docs/matching.md``.
"""

from karavan.matching.index import MatchIndex
from karavan.matching.inputs import InputNeed, external_flow_needs, project_inputs
from karavan.matching.query import (
    BELT_AND_ROAD_PARTNERS,
    EAEU_MEMBERS,
    CountryPolicy,
    CountryTier,
    NeedQuery,
)
from karavan.matching.ranking import (
    CapacityEvidence,
    CertificationEvidence,
    CodeEvidence,
    CountryEvidence,
    Evidence,
    Match,
    TermEvidence,
)
from karavan.matching.service import InputMatches, Matcher, MatchResult, RegistryProducerDirectory

__all__ = [
    "BELT_AND_ROAD_PARTNERS",
    "EAEU_MEMBERS",
    "CapacityEvidence",
    "CertificationEvidence",
    "CodeEvidence",
    "CountryEvidence",
    "CountryPolicy",
    "CountryTier",
    "Evidence",
    "InputMatches",
    "InputNeed",
    "Match",
    "MatchIndex",
    "MatchResult",
    "Matcher",
    "NeedQuery",
    "RegistryProducerDirectory",
    "TermEvidence",
    "external_flow_needs",
    "project_inputs",
]
