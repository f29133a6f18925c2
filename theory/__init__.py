"""theory: analytical results of machine-learning theory as plain, vectorised numpy functions.

Each public function states its result, assumptions and source in its docstring. No I/O, no plotting.
"""

__version__ = "0.1.0"
