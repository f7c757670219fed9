"""A small Django + DRF project used only by the benchmarks: one model, one list endpoint."""
