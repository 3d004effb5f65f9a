"""Exporters: Prometheus, StatsD, CloudWatch EMF, files for BI tools."""
