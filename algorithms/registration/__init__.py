"""Registration of the coarse map on the imagery: the offset estimated from the data, and the map moved back
(docs/METHOD.md, "Registration of the coarse map")."""
