"""KPI answers: the slash commands and the KPI API, from a question to a figure."""
