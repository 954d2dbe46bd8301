"""A believable business to serve: the demo portal, the tests and the benchmark generate it here.

`business.py` generates it into the native tables; `legacy/` reshapes the same rows into the
tables of a legacy ERP (SAP, SAP Business One, ISPCube-style).
"""
