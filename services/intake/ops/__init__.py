"""What ops see of the whole pipeline, for the group `ops` only: the
dashboard and its JSON API, the figures and lists read from the store, the
CSV exports, the charts, the consumer lag read from Kafka, the store-wide
metrics, and (in development) the mail viewer."""
