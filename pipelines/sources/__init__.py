"""Readers and stages, one per publisher's product: each turns one official source into canonical tables.

Munich: Stadtbezirke/Bezirksteile (``areas_munich``), the Indikatorenatlas (``indikatorenatlas``),
the Handlungsräume registry (``action_areas``). Berlin: LOR 2021 (``areas_berlin``), population
(``berlin_population``), Monitoring Soziale Stadtentwicklung (``mss``). Both: facility lists
(``locations``). Shared checks live in ``area_checks`` and ``plr_tables``.
"""
