"""`make bench`: the generated Task API against a hand-written peer, under wrk, on PostgreSQL."""
