"""Notifications: letters (PDF), e-mails and SMS sent to customers, queued in the caller's
transaction and delivered by the daily tick, the server's loop or the workers."""
