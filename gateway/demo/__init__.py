"""`ggzy demo`: a local federation on loopback (launcher) and the story told with it (steps).

`launcher` starts any topology of nodes as real processes, each with its own data, port, database
and, with a broker, Celery worker; `steps` runs the demo's named steps over it and `runner` prints
them and turns a failed step into a non-zero exit code.
"""
