"""The ``ipposaki`` command line: a thin layer over the library."""
