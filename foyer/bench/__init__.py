"""`foyer bench`: reproducible datasets, servers in subprocesses, load, and a report.

Every performance figure foyer quotes comes from here. Configurations are measured
side by side in one run, alternating, and reported as ratios (this machine is noisy).
"""
