"""File and terminal formats: snapshots and their writers (CSV, XLSX, JSON, Markdown,
HTML), reading the spreadsheets counties send, and the CLI's Rich tables. Built on the
domain; writes files through ``tracker.storage.files``."""
