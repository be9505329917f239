"""Mini-Storytellers: distil a strong storyteller into a small local model.

``export`` turns run directories (or the seed corpus) into SFT and DPO data, ``train``
fine-tunes a small model on it with TRL and LoRA, ``hf_chat`` serves the merged student
as the ``hf:<model dir>`` LLM provider and ``compare`` puts student and base side by side.
Only ``export`` is light; the others import torch and transformers inside their functions.
"""
