"""Cycle profiles: one TOML file per modelled CPU (see celeron500.toml)."""
