"""Preset YAML files (installed as the package data shufflenet_cli.preset_data)."""
