"""The outbound-webhook channel: messages to leads POSTed as signed JSON to the workspace's own
sending tool (README, "Messaging"). Registered from
``integrations.apps`` through ``registration``."""
