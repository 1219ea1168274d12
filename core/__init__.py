"""SRDH's bottom layer: the home's layout (paths), the UID rules (uid), safe file writing
(files), identifier checks (identifiers), one-line user errors (errors), quiet third-party
output (quiet) and step stamps (stamps).

Imports none of ingest, matching, warehouse, srdh, generator or tools (import-linter
contract in pyproject.toml); everything else may import it."""
