"""The free lab's page body: its settings, the run history kept in the link, the other views and their charts."""
