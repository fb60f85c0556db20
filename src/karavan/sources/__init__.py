"""Data sources: one module per format (file -> MRIOTable), and the registry that picks one."""
