"""The surveys' storage: pulses, rounds, owed DMs and tokens (`tables`), and the claims on
them (`store`)."""
