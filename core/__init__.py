"""Shared helpers every app may use and that use no app: money, spreadsheets, scopes, charts, text."""
