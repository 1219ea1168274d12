"""One module per feed; each exposes ``build(ctx)`` returning the delivered files and truth."""
