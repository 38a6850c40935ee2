"""P4's design (bench/webhooks.py): its phases alternate so that a drifting machine slows each of
them alike, and a phase's CPU is its blocks' pooled over their time."""

from statistics import mean

import pytest
from bench.common import CpuMeter
from bench.webhooks import P4_PHASES, p4_order


@pytest.mark.parametrize("rounds", [2, 4, 6])
def test_every_phase_once_a_round_and_as_early_as_the_others_on_average(rounds):
    order = p4_order(rounds)
    n = len(P4_PHASES)
    assert len(order) == n * rounds
    for k in range(rounds):
        assert sorted(order[k * n : (k + 1) * n]) == sorted(P4_PHASES)
    # a drift that grows with time costs a phase in proportion to its mean position
    positions = {p: mean(i for i, q in enumerate(order) if q == p) for p in P4_PHASES}
    assert len(set(positions.values())) == 1, positions


def _meter(wall: float, **result: float) -> CpuMeter:
    meter = CpuMeter({"server": list, "postgres": list})
    meter.wall, meter.result = wall, dict(result)
    meter.switches = {"server": 10, "postgres": 1}
    return meter


def test_pooled_cpu_is_the_time_weighted_mean_of_the_blocks():
    pooled = CpuMeter.pooled(
        [_meter(1.0, server=0.5, postgres=0.2), _meter(3.0, server=0.9, postgres=0.6)]
    )
    assert pooled.wall == 4.0
    assert pooled.result == {"server": 0.8, "postgres": 0.5}
    assert pooled.switches == {"server": 20, "postgres": 2}
    # CPU per unit of the pooled meter = all the CPU over all the units
    assert pooled.cost(100)["server_ms"] == pytest.approx(1000 * (0.5 * 1 + 0.9 * 3) / 100)
