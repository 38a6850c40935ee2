"""The Hayylo Inbound API: bulk care data (clients, family contacts, workers, visits, client
documents) posted in a wrapper, stored as received and imported in the background."""
