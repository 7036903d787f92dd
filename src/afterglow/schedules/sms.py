"""Text-message senders. Placeholder replaced by the schedules work."""
