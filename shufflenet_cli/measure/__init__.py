"""The measurement layer: the latency protocol, inference backends, profiler breakdowns and
roofline bounds. Everything here runs a network on this machine."""
