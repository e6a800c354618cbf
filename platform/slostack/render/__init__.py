"""Pure rendering: Spec -> Bundle. No network, no processes, no Pulumi."""
