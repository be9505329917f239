"""A trained PEFT LoRA adapter as a GGUF LoRA adapter, so llama.cpp runs the student on the shipped base.

llama.cpp names a Llama model's linear weights ``blk.N.attn_q`` ... ``blk.N.ffn_down`` and
stores Q and K with their rows permuted for its rotary layout (transformers undoes that
permutation when it loads a GGUF file). An adapter trained on the transformers layout
therefore gets the same permutation on the rows of its Q and K ``lora_B``; ``lora_A``
(the input side) is unchanged. Tensors are written as float16.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np

GGUF_NAMES = {
    "self_attn.q_proj": "attn_q",
    "self_attn.k_proj": "attn_k",
    "self_attn.v_proj": "attn_v",
    "self_attn.o_proj": "attn_output",
    "mlp.gate_proj": "ffn_gate",
    "mlp.up_proj": "ffn_up",
    "mlp.down_proj": "ffn_down",
}
PEFT_NAME = re.compile(r"layers\.(\d+)\.(self_attn\.[qkvo]_proj|mlp\.(?:gate|up|down)_proj)\.lora_([AB])\.weight$")


def rotary_permute(rows: np.ndarray, heads: int) -> np.ndarray:
    """llama.cpp's Q/K row order: each head's two rotary halves interleaved."""
    shape = rows.shape
    return rows.reshape(heads, 2, shape[0] // heads // 2, *shape[1:]).swapaxes(1, 2).reshape(shape)


def gguf_tensors(peft_tensors: dict[str, np.ndarray], heads: int, kv_heads: int) -> dict[str, np.ndarray]:
    """PEFT tensor names and layout -> llama.cpp LoRA tensor names and layout."""
    converted = {}
    for name, value in peft_tensors.items():
        match = PEFT_NAME.search(name)
        if match is None:
            raise ValueError(f"unexpected adapter tensor {name!r} (only Llama linear layers are supported)")
        layer, module, side = match.groups()
        if side == "B" and module == "self_attn.q_proj":
            value = rotary_permute(value, heads)
        elif side == "B" and module == "self_attn.k_proj":
            value = rotary_permute(value, kv_heads)
        converted[f"blk.{layer}.{GGUF_NAMES[module]}.weight.lora_{side.lower()}"] = value.astype(np.float16)
    return converted


def write_gguf_adapter(adapter_dir: Path, out: Path, heads: int, kv_heads: int) -> Path:
    """Convert ``adapter_dir`` (PEFT's adapter_model.safetensors + adapter_config.json) to ``out``."""
    import gguf
    from safetensors.numpy import load_file

    config = json.loads((adapter_dir / "adapter_config.json").read_text(encoding="utf-8"))
    tensors = gguf_tensors(load_file(str(adapter_dir / "adapter_model.safetensors")), heads, kv_heads)
    out.parent.mkdir(parents=True, exist_ok=True)
    temp = out.with_suffix(".tmp")
    writer = gguf.GGUFWriter(str(temp), "llama")
    writer.add_string("general.type", "adapter")
    writer.add_string("adapter.type", "lora")
    writer.add_float32("adapter.lora.alpha", float(config["lora_alpha"]))
    for name, value in sorted(tensors.items()):
        writer.add_tensor(name, value)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    temp.replace(out)
    return out
