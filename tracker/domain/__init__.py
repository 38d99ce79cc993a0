"""The domain: the plan, tasks and their lifecycle, commands and events, the read model,
progress toward the targets, dates, roles and errors. Pure Python: no file I/O, no
Textual, no Rich; it imports nothing of ours but ``tracker.i18n``."""
