"""The model layer: what a network is (spec, the papers' rules, layer plan), what it costs
(closed-form params, multiply-adds, memory traffic) and the torch module built from the plan.
Nothing here imports torch except ``nn``."""
