"""Intake over HTTP: the Flask app and how errors are answered, the
intranet pages and their forms, the JSON API and its OpenAPI document, the
email-link pages, who is calling, the reader's language, and the headers
every answer carries."""
