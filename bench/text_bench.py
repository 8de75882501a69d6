"""Plans per second of smsgate.text.plan (and count_units) for typical messages.

Run: .venv/bin/python bench/text_bench.py [--seconds S]
"""

from __future__ import annotations

import argparse
import platform
import time
from collections.abc import Callable
from functools import partial

from smsgate.text import count_units, plan

ONE_PART_GSM = (
    "Your verification code is 482913. It expires in 10 minutes. "
    "Never share this code with anyone, not even our staff. Reply STOP to opt out."
)
ONE_PART_GSM_EXTENDED = (
    "Votre rendez-vous est confirmé: mardi à 9h, 45€ réglés. Pour annuler répondez {STOP} "
    "ou appelez le 0800 123 456. Merci et à mardi!"
)
FOUR_PART_GSM = (
    "Dear customer, your order #A-20931 has shipped and will arrive on Tuesday between "
    "9:00 and 13:00. Track it at https://example.com/t/A20931 or call 0800 123 456. "
) * 3 + "Total paid: 49.90 EUR (incl. VAT). Keep this message as your receipt; thank you!"
THREE_PART_UCS2 = (
    "Здравствуйте! Ваш заказ №20931 отправлен и будет доставлен во вторник с 9:00 до 13:00. "
    "Спасибо, что выбрали нас 😀 Ответьте СТОП, чтобы отписаться."
)


def rate(call: Callable[[], object], seconds: float, rounds: int = 5) -> float:
    """Calls per second of `call`: the best of `rounds` runs of `seconds` / `rounds` each.

    The best run is the least disturbed by other processes on a shared machine.
    """
    best = 0.0
    batch = 500
    for _ in range(rounds):
        calls = 0
        start = time.perf_counter()
        elapsed = 0.0
        while elapsed < seconds / rounds:
            for _ in range(batch):
                call()
            calls += batch
            elapsed = time.perf_counter() - start
        best = max(best, calls / elapsed)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=2.0, help="time per measurement")
    seconds = parser.parse_args().seconds
    print(f"python {platform.python_version()} on {platform.machine()}")
    print(f"{'message':<16}{'encoding':>9}{'parts':>7}{'units':>7}{'plan/s':>12}{'count/s':>12}")
    for name, text, parts in (
        ("1-part GSM", ONE_PART_GSM, 1),
        ("1-part GSM é€{", ONE_PART_GSM_EXTENDED, 1),
        ("4-part GSM", FOUR_PART_GSM, 4),
        ("3-part UCS-2", THREE_PART_UCS2, 3),
    ):
        result = plan(text)
        if result.count != parts:
            raise SystemExit(f"{name}: the sample text plans to {result.count} parts")
        plans = rate(partial(plan, text), seconds)
        counts = rate(partial(count_units, text), seconds)
        print(
            f"{name:<16}{result.encoding:>9}{result.count:>7}{result.units:>7}"
            f"{plans:>12,.0f}{counts:>12,.0f}"
        )


if __name__ == "__main__":
    main()
