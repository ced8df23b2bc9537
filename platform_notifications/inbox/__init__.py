"""Inbox: the reader's side of the rows: tray and list queries, counts, the tray REST views."""
