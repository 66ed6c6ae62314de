"""VMs: records and their fields, the power-state machine, placement on hosts, the guest agent, copies and snapshots.

``state`` holds the allowed-operations rules every other module checks; ``runtime`` brings a domain
up and down; ``power`` serves the power calls on top of both.
"""
