"""A tiny, randomly initialised Stable Diffusion pipeline written to disk, built offline.

Tests and the CPU smoke run of ``benchmarks/gpu_painter.py`` load it through the real
``diffusers:<directory>`` painter: same code path as a real model, noise for pixels, a
second per image. Components follow the sizes diffusers' own pipeline tests use.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

TEXT_WIDTH = 32
MAX_PROMPT_TOKENS = 77
SPECIAL_TOKENS = ("<|startoftext|>", "<|endoftext|>")


def byte_symbols() -> list[str]:
    """The 256 printable symbols that byte-level BPE (CLIP's tokenizer) uses for the 256 bytes."""
    printable = [*range(ord("!"), ord("~") + 1), *range(ord("¡"), ord("¬") + 1), *range(ord("®"), ord("ÿ") + 1)]
    shifted = [byte for byte in range(256) if byte not in printable]
    return [chr(byte) for byte in printable] + [chr(256 + index) for index in range(len(shifted))]


def write_tokenizer_files(directory: Path) -> None:
    """A character-level CLIP vocabulary (every symbol, alone and word-final) and an empty merge list."""
    directory.mkdir(parents=True, exist_ok=True)
    symbols = byte_symbols()
    tokens = [*symbols, *(f"{symbol}</w>" for symbol in symbols), *SPECIAL_TOKENS]
    vocabulary = {token: index for index, token in enumerate(tokens)}
    (directory / "vocab.json").write_text(json.dumps(vocabulary), encoding="utf-8")
    (directory / "merges.txt").write_text("#version: 0.2\n", encoding="utf-8")


def tiny_components(tokenizer_dir: Path) -> dict:
    """UNet, VAE, text encoder, tokenizer and scheduler, each a few thousand parameters."""
    from diffusers import AutoencoderKL, DDIMScheduler, UNet2DConditionModel
    from transformers import CLIPTextConfig, CLIPTextModel, CLIPTokenizer

    write_tokenizer_files(tokenizer_dir)
    tokenizer = CLIPTokenizer(
        str(tokenizer_dir / "vocab.json"), str(tokenizer_dir / "merges.txt"), model_max_length=MAX_PROMPT_TOKENS
    )
    unet = UNet2DConditionModel(
        block_out_channels=(4, 8),
        layers_per_block=1,
        sample_size=16,
        in_channels=4,
        out_channels=4,
        down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"),
        up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"),
        cross_attention_dim=TEXT_WIDTH,
        norm_num_groups=2,
    )
    vae = AutoencoderKL(
        block_out_channels=(4, 8),
        in_channels=3,
        out_channels=3,
        down_block_types=("DownEncoderBlock2D", "DownEncoderBlock2D"),
        up_block_types=("UpDecoderBlock2D", "UpDecoderBlock2D"),
        latent_channels=4,
        norm_num_groups=2,
    )
    text_config = CLIPTextConfig(
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        hidden_size=TEXT_WIDTH,
        intermediate_size=64,
        num_attention_heads=4,
        num_hidden_layers=2,
        vocab_size=len(tokenizer),
        max_position_embeddings=MAX_PROMPT_TOKENS,
    )
    scheduler = DDIMScheduler(
        beta_start=0.00085,
        beta_end=0.012,
        beta_schedule="scaled_linear",
        clip_sample=False,
        set_alpha_to_one=False,
        steps_offset=1,
    )
    return {
        "unet": unet,
        "vae": vae,
        "text_encoder": CLIPTextModel(text_config),
        "tokenizer": tokenizer,
        "scheduler": scheduler,
    }


def build_tiny_pipeline(directory: str | Path, seed: int = 0) -> Path:
    """Write a tiny random Stable Diffusion pipeline to ``directory`` (same seed, same weights)."""
    import torch
    from diffusers import StableDiffusionPipeline

    directory = Path(directory)
    torch.manual_seed(seed)
    with tempfile.TemporaryDirectory() as tokenizer_dir:
        components = tiny_components(Path(tokenizer_dir))
    pipeline = StableDiffusionPipeline(
        **components, safety_checker=None, feature_extractor=None, requires_safety_checker=False
    )
    pipeline.save_pretrained(directory)
    return directory
