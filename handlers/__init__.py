"""Adapters, one folder per feature (answers, ingest, digests, alerts, rollups…), each with one
`registration.FEATURE`; and what they share (`feature`, `i18n`, `formatting`, `deps`, `http`,
`slack`, `jobs`).

They translate the outside world into calls on `kpis` and `storage`, and results back out.
"""
