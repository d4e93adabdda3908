"""LP tools that join chain reads and analytics: pool context, history, range studies, position reports."""
