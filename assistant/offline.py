"""Switch off every hub download before any model library is imported: the product runs offline.

Also keeps the console quiet for users: no hub/transformers progress bars (set
``HF_HUB_DISABLE_PROGRESS_BARS=0`` to see them), and no warning from bitsandbytes that its optional
CPU kernel package (``kernels``, which would fetch code from the hub) is not installed; it falls
back to its built-in CPU path, which is the one we use.
"""
import logging
import os

for _var in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_DATASETS_OFFLINE", "HF_HUB_DISABLE_TELEMETRY",
             "HF_HUB_DISABLE_PROGRESS_BARS"):
    os.environ.setdefault(_var, "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
logging.getLogger("bitsandbytes.backends.cpu.ops").setLevel(logging.ERROR)
