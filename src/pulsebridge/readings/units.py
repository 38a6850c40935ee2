"""Unit conversions between what devices send, the canonical core units and what dialects write."""

KG_PER_LB = 0.45359237
MGDL_PER_MMOLL = 18.0156  # glucose: 180.156 g/mol


def lb_to_kg(lb: float) -> float:
    return lb * KG_PER_LB


def kg_to_lb(kg: float) -> float:
    return round(kg / KG_PER_LB, 2)


def f_to_c(f: float) -> float:
    return (f - 32.0) * 5.0 / 9.0


def c_to_f(c: float) -> float:
    return round(c * 9.0 / 5.0 + 32.0, 2)


def mmoll_to_mgdl(mmol: float) -> float:
    return mmol * MGDL_PER_MMOLL


def tidy(value: float) -> float | int:
    """Whole numbers as ints (129, not 129.0), everything else rounded to 2 decimals."""
    # most readings: round(), the slow part, would change nothing (not value.is_integer():
    # ints have it only from Python 3.12)
    if value % 1 == 0:
        return int(value)
    rounded = round(value, 2)
    return int(rounded) if rounded == int(rounded) else rounded
