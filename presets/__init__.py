"""Preset YAML files (packaged as shufflenet_cli.presets)."""
