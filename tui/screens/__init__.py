"""The console's screens: each is handed a `ConsoleContext` and draws from the store."""
