"""Insights: what moved a figure (`… why`) and what detractors talk about (`/kpi themes`)."""
