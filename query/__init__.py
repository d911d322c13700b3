"""The query contract between the KPI engine and the SQL.

`kpis` describes what to aggregate with these types and `storage` answers with plain numbers
keyed by them; both import this package and neither imports the other. It holds data types and
nothing else: the standard library only (import-linter checks it).
"""
