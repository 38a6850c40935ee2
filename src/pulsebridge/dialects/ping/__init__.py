"""The PING asset-tracking API (``/ping/``): OAuth2 wiring, accounts, applications,
configurations, trackers, customer groups, geo groups and events, in PING's DRF shapes."""
