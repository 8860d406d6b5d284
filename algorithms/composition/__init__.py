"""Composition tables p(label | class): CSV format, tables edited by a person, estimates from labelled areas."""
