"""The dispatcher (claims due deliveries, sends, retries). See the webhooks issue."""


def enqueue(delivery_ids: list) -> None:
    """Placeholder until the dispatcher lands: deliveries stay pending in the outbox."""
