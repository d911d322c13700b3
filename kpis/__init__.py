"""The KPI engine: periods, the catalogue as data, and the maths on aggregates.

Pure: the standard library only. It describes what to aggregate; `storage` runs the SQL.
"""
