"""The e-mail channel: messages to leads through the workspace's own SMTP server, replies back
as signed raw MIME (README, "Messaging"). Registered from
``integrations.apps`` through ``registration``."""
