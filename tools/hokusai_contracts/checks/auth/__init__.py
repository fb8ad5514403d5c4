"""Auth scenarios: ``contracts/auth/*.yaml`` run against live gateways and MLflow servers.

Each scenario sets credentials the way a user would (environment, constructor arguments, a config
profile), makes one named SDK call, and states what must happen: success, or an exception with its
status, error code and fix. Secrets are never written in the YAML (``${KEY_WRITE}`` references are
resolved to fixture secrets) and never allowed to reach an exception, a log line or a report.

Rule ids: AUTH001 unexpected outcome, AUTH002 wrong exception / status / code, AUTH003 message lacks
the fix phrase, AUTH004 secret leaked, AUTH005 malformed scenario.
"""
