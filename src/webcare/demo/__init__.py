"""`webcare demo`: a fictional car-park operator's webcare desk, replayed live through ingest."""
