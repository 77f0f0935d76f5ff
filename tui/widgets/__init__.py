"""The console's widgets: one per file, named for what it shows, all drawn by `LineView`."""
