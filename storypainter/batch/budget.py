"""Budget caps on a batch: start no item that would take the spend past a cap.

Before an item starts its cost is estimated: the mean cost of the batch's finished items.
An item starts only while the spend, plus that estimate for each item in flight and for the
new one, stays within every cap; until one item has finished (no estimate yet) one item
runs at a time. So the spend passes a cap only when an item costs more than the mean of
those before it (or the first alone costs more than the cap). The ledger counts every item
of the batch, those finished by earlier runs included, so a rerun with the same cap starts
nothing new and a rerun with a higher cap continues.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from storypainter.agent.context import Context
from storypainter.errors import ConfigError
from storypainter.ledger import judge_model, unpriced
from storypainter.providers.registry import split_provider


@dataclass(frozen=True)
class Budget:
    """Caps in US dollars and tokens (in + out); None means no cap."""

    usd: float | None = None
    tokens: int | None = None

    def __post_init__(self) -> None:
        if self.usd is not None and not self.usd > 0:
            raise ConfigError(f"--budget-usd must be above 0, got {self.usd}")
        if self.tokens is not None and self.tokens < 1:
            raise ConfigError(f"--budget-tokens must be at least 1, got {self.tokens}")

    def check(self, context: Context) -> None:
        """A dollar cap needs a price for every paid provider of the config (never a guess)."""
        if self.usd is None:
            return
        llms = [context.llm]
        if split_provider(context.judge)[0] == "vlm":
            llms.append(judge_model(context.judge))
        if reasons := unpriced(llms, context.painter, context.prices):
            raise ConfigError(f"--budget-usd: {reasons[0]} in the config's prices (or cap tokens with --budget-tokens)")

    def reached(self, total: Mapping[str, Any]) -> str:
        """Why no new item may start ('' while under every cap)."""
        if self.usd is not None and total["usd"] is not None and total["usd"] >= self.usd:
            return f"budget reached: ${total['usd']:.4f} of ${self.usd:.4f} (--budget-usd)"
        spent = total["tokens_in"] + total["tokens_out"]
        if self.tokens is not None and spent >= self.tokens:
            return f"budget reached: {spent:,} of {self.tokens:,} tokens (--budget-tokens)"
        return ""

    def refuses(self, total: Mapping[str, Any], in_flight: int = 0) -> str:
        """Why the next item may not start now ('' when it may): a cap reached, the first item still
        running, or the spend plus the estimated cost of the items in flight and the next one past a cap."""
        if reached := self.reached(total):
            return reached
        if self.usd is None and self.tokens is None:
            return ""
        if not total["items"]:
            return "budget: waiting for the first item's cost" if in_flight else ""
        starting = in_flight + 1
        if self.usd is not None and total["usd"] is not None:
            each = total["usd"] / total["items"]
            if total["usd"] + starting * each > self.usd:
                return (f"budget: ${total['usd']:.4f} spent and {in_flight} item(s) in flight at about ${each:.4f} "
                        f"each; one more would pass ${self.usd:.4f} (--budget-usd)")
        spent = total["tokens_in"] + total["tokens_out"]
        each_tokens = spent / total["items"]
        if self.tokens is not None and spent + starting * each_tokens > self.tokens:
            return (f"budget: {spent:,} tokens spent and {in_flight} item(s) in flight at about {each_tokens:,.0f} "
                    f"each; one more would pass {self.tokens:,} (--budget-tokens)")
        return ""

    def describe(self) -> dict[str, Any]:
        return {"usd": self.usd, "tokens": self.tokens}
