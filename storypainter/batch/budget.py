"""Budget caps on a batch: stop scheduling new items once the ledger reaches a cap.

The ledger counts every item of the batch, those finished by earlier runs included, so a
rerun with the same cap starts nothing new and a rerun with a higher cap continues. Items
already in flight when the cap is reached finish (their results are kept); the spend can so
pass the cap by at most what those items cost.
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

    def describe(self) -> dict[str, Any]:
        return {"usd": self.usd, "tokens": self.tokens}
