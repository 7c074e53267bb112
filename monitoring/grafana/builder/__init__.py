"""The task list's Grafana dashboards, built with Grafana's foundation SDK.

python -m builder writes them to ../dashboards/*.json, which Grafana loads (see
../provisioning/dashboards/tasks.yml). One module a dashboard; common.py holds what they
share.
"""
