"""Report formats: one module per platform over the one result model (:mod:`torchgrade.results`)."""
