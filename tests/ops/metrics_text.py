"""Read a `/metrics` scrape: one sample's value by name and labels."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families


def sample(scrape: str, name: str, **labels: str) -> float | None:
    """The value of the sample `name` whose labels are exactly `labels`; None if absent."""
    for family in text_string_to_metric_families(scrape):
        for found in family.samples:
            if found.name == name and found.labels == labels:
                return float(found.value)
    return None
