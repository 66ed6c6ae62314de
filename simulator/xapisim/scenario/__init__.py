"""Scenarios: what pool a simulator starts with (built-in ``demo``, generated, or a YAML file)."""
