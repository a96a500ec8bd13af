"""Munich's Indikatorenatlas: reading the exports, inferring each indicator's formula, checking it.

``stage`` makes the long indicator table; ``read``, ``formula`` and ``check`` are its parts.
"""
