"""The app's own failure: the progress store could not be opened (the app is already exiting with its reason)."""


class StoreUnavailable(Exception):
    """The progress store could not be opened; the app is already exiting with its one-line reason."""
