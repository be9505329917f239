"""The cost ledger: what a run spent (tokens in/out per node and model, image calls, GPU
seconds and, for priced providers, US dollars), and the sum over a batch.

Money comes only from the config's price table (``Context.prices``, keyed by provider
string): an LLM is priced per million input and output tokens, a painter per image and/or
per GPU hour. A model without a price is never guessed: the run's ``usd`` is null and
``usd_missing`` says which provider lacks which price. Painters that draw on this machine
without a model (the storyboard) cost nothing and need no price.

A run's ledger is written into its manifest by the finish node; a batch adds its items'
ledgers up (``add_ledgers``) in batch.json, summary.json and its printed summary.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

PRICE_KEYS = ("input_per_mtok", "output_per_mtok", "per_image", "per_gpu_hour")
FREE_PAINTERS = frozenset({"storyboard"})  # Pillow drawing: no API call, no GPU
MILLION = 1_000_000
USD_DIGITS = 6


def usage_entry(node: str, model: str, usage: Mapping[str, Any], calls: int = 1) -> dict[str, Any]:
    """One model's token use in one node (an item of the state's ``usage`` list)."""
    return {
        "node": node,
        "model": model,
        "input_tokens": int(usage.get("input_tokens", 0) or 0),
        "output_tokens": int(usage.get("output_tokens", 0) or 0),
        "calls": calls,
    }


def judge_model(judge: str) -> str:
    """The LLM a judge provider string talks to (``vlm:openai:gpt-4.1`` -> ``openai:gpt-4.1``)."""
    prefix, _, name = judge.partition(":")
    return name if prefix == "vlm" else judge


METER: ContextVar[Any] = ContextVar("storypainter_meter", default=None)
_hooked: list[bool] = []


@contextmanager
def metered(node: str, model: str, into: list[dict[str, Any]]) -> Iterator[None]:
    """Count the tokens of every chat model call made inside the block (through LangChain's
    callbacks, so a provider needs no change) and append them to ``into`` as one entry."""
    from langchain_core.callbacks import BaseCallbackHandler
    from langchain_core.tracers.context import register_configure_hook

    if not _hooked:
        register_configure_hook(METER, inheritable=True)
        _hooked.append(True)
    calls: list[dict[str, Any]] = []

    class Meter(BaseCallbackHandler):
        def on_llm_end(self, response: Any, **kwargs: Any) -> None:
            for generations in response.generations:
                message = getattr(generations[0], "message", None) if generations else None
                calls.append(dict(getattr(message, "usage_metadata", None) or {}))

    token = METER.set(Meter())
    try:
        yield
    finally:
        METER.reset(token)
        if calls:
            summed = {key: sum(call.get(key, 0) for call in calls) for key in ("input_tokens", "output_tokens")}
            into.append(usage_entry(node, model, summed, calls=len(calls)))


def token_table(usage: Iterable[Mapping[str, Any]]) -> dict[str, dict[str, dict[str, int]]]:
    """``{node: {model: {input_tokens, output_tokens, calls}}}`` summed over the entries."""
    table: dict[str, dict[str, dict[str, int]]] = {}
    for entry in usage:
        row = table.setdefault(entry["node"], {}).setdefault(
            entry["model"], {"input_tokens": 0, "output_tokens": 0, "calls": 0}
        )
        for key in row:
            row[key] += int(entry.get(key, 0) or 0)
    return table


def price_of(prices: Mapping[str, Mapping[str, float]], provider: str, key: str) -> float | None:
    value = (prices.get(provider) or {}).get(key)
    return None if value is None else float(value)


def token_cost(prices: Mapping, model: str, row: Mapping[str, int]) -> tuple[float, str]:
    """(dollars, '') for a priced model, else (0, why not)."""
    if row.get("calls") and not (row.get("input_tokens") or row.get("output_tokens")):
        return 0.0, f"{model} reported no token counts"
    cost = 0.0
    for key, price_key in (("input_tokens", "input_per_mtok"), ("output_tokens", "output_per_mtok")):
        if not row.get(key):
            continue
        price = price_of(prices, model, price_key)
        if price is None:
            return 0.0, f"no {price_key} price for {model}"
        cost += row[key] * price / MILLION
    return cost, ""


def painter_cost(prices: Mapping, painter: str, image_calls: int, gpu_seconds: float) -> tuple[float, str]:
    if image_calls == 0 or painter.partition(":")[0] in FREE_PAINTERS:
        return 0.0, ""
    per_image, per_gpu_hour = price_of(prices, painter, "per_image"), price_of(prices, painter, "per_gpu_hour")
    if per_image is None and per_gpu_hour is None:
        return 0.0, f"no per_image or per_gpu_hour price for {painter}"
    return image_calls * (per_image or 0.0) + gpu_seconds / 3600 * (per_gpu_hour or 0.0), ""


def run_ledger(usage: Iterable[Mapping[str, Any]], painter: str, image_calls: int, gpu_seconds: float,
               prices: Mapping[str, Mapping[str, float]]) -> dict[str, Any]:
    """A run's ledger from its token usage entries, painter calls and the price table."""
    tokens = token_table(usage)
    missing, usd = [], 0.0
    for models in tokens.values():
        for model, row in models.items():
            cost, why = token_cost(prices, model, row)
            usd += cost
            missing += [why] if why else []
    cost, why = painter_cost(prices, painter, image_calls, gpu_seconds)
    usd += cost
    missing += [why] if why else []
    rows = [row for models in tokens.values() for row in models.values()]
    return {
        "tokens": tokens,
        "tokens_in": sum(row["input_tokens"] for row in rows),
        "tokens_out": sum(row["output_tokens"] for row in rows),
        "image_calls": image_calls,
        "painter": painter,
        "gpu_seconds": round(gpu_seconds, 3),
        "usd": None if missing else round(usd, USD_DIGITS),
        "usd_missing": sorted(set(missing)),
    }


def unpriced(llms: Iterable[str], painter: str, prices: Mapping[str, Mapping[str, float]]) -> list[str]:
    """Why a config's runs could not be priced (empty when every paid provider has a price)."""
    reasons = []
    for model in dict.fromkeys(llms):
        for key in ("input_per_mtok", "output_per_mtok"):
            if price_of(prices, model, key) is None:
                reasons.append(f"no {key} price for {model}")
    _, why = painter_cost(prices, painter, 1, 0.0)
    return reasons + ([why] if why else [])


class Tally:
    """A running sum of run ledgers; ``usd`` is null when any item's is (its reasons kept)."""

    def __init__(self) -> None:
        self.sums = {"items": 0, "tokens_in": 0, "tokens_out": 0, "image_calls": 0, "gpu_seconds": 0.0}
        self.usd, self.missing = 0.0, set()

    def add(self, ledger: Mapping[str, Any] | None) -> None:
        if not ledger:
            return
        self.sums["items"] += 1
        for key in ("tokens_in", "tokens_out", "image_calls", "gpu_seconds"):
            self.sums[key] += ledger.get(key, 0) or 0
        if ledger.get("usd") is None:
            self.missing.update(ledger.get("usd_missing") or ["an item without a price"])
        else:
            self.usd += ledger["usd"]

    def total(self) -> dict[str, Any]:
        return {**self.sums, "gpu_seconds": round(self.sums["gpu_seconds"], 3),
                "usd": None if self.missing else round(self.usd, USD_DIGITS), "usd_missing": sorted(self.missing)}


def add_ledgers(ledgers: Iterable[Mapping[str, Any] | None]) -> dict[str, Any]:
    """The sum of run ledgers (items without one are left out)."""
    tally = Tally()
    for ledger in ledgers:
        tally.add(ledger)
    return tally.total()


def describe(total: Mapping[str, Any]) -> str:
    """One line: tokens, images, GPU seconds, dollars."""
    usd = "n/a (" + "; ".join(total["usd_missing"]) + ")" if total["usd"] is None else f"${total['usd']:.4f}"
    return (f"tokens {total['tokens_in']:,} in / {total['tokens_out']:,} out, {total['image_calls']} image calls, "
            f"{total['gpu_seconds']:.1f} GPU s, {usd}")
