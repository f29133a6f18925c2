"""The engine: what a sim and a claim are, the results store, the runner, figures and the report, the CLI.

Nothing here knows any area; the sims live in ``sims/<area>/<sim_name>.py``.
"""
