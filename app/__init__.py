"""The hand-written runtime around the generated code: settings, database, errors, app factory."""
