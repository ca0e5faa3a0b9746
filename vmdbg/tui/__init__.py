"""The Textual front end: the app, its screens, panels (one widget per module), keys and
styles. It drives a vmdbg.core.Session from a worker thread and only reads Snapshots."""
