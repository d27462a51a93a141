"""citydesk: a Chinese-first news publishing platform."""
