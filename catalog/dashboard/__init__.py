"""The catalogue's to-do panels on the back-office dashboard: low stock and aid certificates running out."""
