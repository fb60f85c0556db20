"""Scenario lab: declarative scenario specifications and pure runs over the engine."""
