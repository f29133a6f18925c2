"""Helpers shared by the sims of one area: label distributionally robust losses.

Public, so that each sim module imports them by name; nothing here is a sim.
"""

AREA = "Label distributionally robust losses"
