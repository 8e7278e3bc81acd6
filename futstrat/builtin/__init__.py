"""futstrat's own strategies, sharing backends and workloads: plugins registered like any other."""
