"""Daily rollups of responses and tickets: the cells and day marks (`tables`), and how they are
built, forgotten on write and read (`store`)."""
