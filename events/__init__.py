"""Domain events on their way to the business: the relay and its sinks (docs/events.md)."""
