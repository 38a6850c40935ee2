from datetime import UTC, datetime

from pulsebridge.core.apikeys import create_api_key
from pulsebridge.core.models import UsageCounter
from pulsebridge.core.throttle import usage_this_month


def test_usage_this_month_counts_only_keys_with_a_monthly_quota(alice):
    counted = create_api_key(alice, "pylo", monthly_quota=100).api_key
    uncounted = create_api_key(alice, "pylo").api_key
    now = datetime(2026, 3, 15, tzinfo=UTC)
    UsageCounter.objects.create(api_key=counted, period="2026-03", count=42)
    UsageCounter.objects.create(api_key=counted, period="2026-02", count=7)
    assert usage_this_month([counted, uncounted], now=now) == {counted.pk: 42}
    assert usage_this_month([counted], now=datetime(2026, 4, 1, tzinfo=UTC)) == {counted.pk: 0}
