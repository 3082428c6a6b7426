"""Speed options of a ``GANModule``: compiled networks, channels-last images, and checks of the precision.

**Compiling** (``model.init_args.compile``). Every network a player trains gets torch.compile's
version of its ``__call__``, as ``nn.Module.compile`` does: the module stays where it is, so state
dict keys, checkpoints, EMA copies and DDP see the same module, and each variant's own
``generate``/``discriminate`` runs compiled code without knowing it. Three things differ from
``nn.Module.compile``:

- a copy of a compiled network (``GeneratorEMA``'s average, a pickle) runs eagerly: the compiled
  code belongs to the original, and a plain copy of it would run the original's weights;
- code within :func:`eager` runs the networks eagerly: AOT autograd cannot differentiate a
  compiled network twice ("torch.compile with aot_autograd does not currently support double
  backward"), so gradient penalties take their input gradient through the eager forward, which
  shares the compiled one's parameters;
- if compiling fails (no C compiler, a backend error, torch.compile missing on this Python) the run
  warns once, naming the reason, and goes on eagerly; with ``fullgraph: true`` the error is raised
  instead, since the user asked for the whole graph. AOT autograd compiles a backward pass at its
  first use, so a failure there (none seen: inductor runs ops it cannot lower eagerly) is raised.

**Channels-last** stores image tensors as (N, H, W, C) in memory, which oneDNN's and cuDNN's
convolutions prefer; the networks' weights and the image batches (reals and fakes) are converted.

**Precision** (``trainer.precision``) is Lightning's; :func:`check_precision` refuses, before the
Trainer is built, the settings a GAN run cannot use where it runs, and :func:`warn_if_slow_bf16`
warns where bfloat16 is emulated.
"""

from __future__ import annotations

import contextlib
import importlib.util
import inspect
import platform
from collections.abc import Callable, Iterator, Mapping
from contextvars import ContextVar
from typing import Any

import torch
from lightning.pytorch.utilities import rank_zero_warn
from torch import Tensor, nn

from lightgan.errors import ConfigError

#: The keyword arguments ``torch.compile`` takes (``mode``, ``fullgraph``, ``dynamic``, ``backend``, ``options``, ...).
COMPILE_KEYS: tuple[str, ...] = tuple(name for name in inspect.signature(torch.compile).parameters if name != "model")

_EAGER: ContextVar[bool] = ContextVar("lightgan_eager_networks", default=False)


def compile_options(value: bool | Mapping[str, Any] | None) -> dict[str, Any] | None:
    """``model.init_args.compile`` as torch.compile's keyword arguments; None when compiling is off."""
    if value is None or value is False:
        return None
    if value is True:
        return {}
    if not isinstance(value, Mapping):
        raise ConfigError(
            f"model.init_args.compile must be true, false or a mapping of torch.compile options, got {value!r}. "
            f"Its options are {', '.join(COMPILE_KEYS)}."
        )
    unknown = sorted(set(value) - set(COMPILE_KEYS))
    if unknown:
        raise ConfigError(
            f"model.init_args.compile: {', '.join(map(repr, unknown))} is not an option of torch.compile. "
            f"Its options are {', '.join(COMPILE_KEYS)}."
        )
    return dict(value)


@contextlib.contextmanager
def eager() -> Iterator[None]:
    """Networks compiled by lightgan run their eager forward within the block (for double backward)."""
    token = _EAGER.set(True)
    try:
        yield
    finally:
        _EAGER.reset(token)


def callable_networks(network: nn.Module) -> list[nn.Module]:
    """``network``, or for a container without a forward of its own (a ``ModuleList`` of generators) its members."""
    if type(network).forward is not nn.Module.forward:
        return [network]
    return [net for child in network.children() for net in callable_networks(child)]


class CompiledCall:
    """A network's compiled ``__call__`` (``nn.Module._compiled_call_impl``, what ``nn.Module.compile`` sets)."""

    def __init__(self, network: nn.Module, compiled: Callable[..., Any], compiler: Compiler) -> None:
        self.network, self.compiled, self.compiler = network, compiled, compiler

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if _EAGER.get():
            return self.network._call_impl(*args, **kwargs)
        try:
            return self.compiled(*args, **kwargs)
        except Exception as error:
            if self.compiler.strict:
                raise
            output = self.network._call_impl(*args, **kwargs)  # a fault of the network itself is raised here, as is
            self.compiler.fail(error)
            return output

    def __reduce__(self) -> tuple[type, tuple[()]]:
        """Copies and pickles of the network get None, so they run eagerly (the compiled code runs this one)."""
        return type(None), ()


class Compiler:
    """Compiles a module's networks with one set of torch.compile options; falls back to eager once, for good."""

    def __init__(self, options: dict[str, Any]) -> None:
        self.options = options
        self.networks: list[nn.Module] = []
        #: Why compiling failed (the run then stays eager), None while it has not.
        self.failure: str | None = None

    @property
    def strict(self) -> bool:
        """With ``fullgraph`` the user asked for the whole graph: a failure is an error, not a fallback."""
        return bool(self.options.get("fullgraph"))

    @property
    def active(self) -> bool:
        return bool(self.networks)

    def apply(self, networks: list[nn.Module]) -> None:
        """Compile ``networks`` (each once), replacing what an earlier ``apply`` compiled."""
        self.remove()
        if self.failure is not None:
            return
        try:
            for network in dict.fromkeys(networks):  # layers shared between generators: once
                compiled = torch.compile(network._call_impl, **self._fresh_options())
                network._compiled_call_impl = CompiledCall(network, compiled, self)
                self.networks.append(network)
        except Exception as error:
            if self.strict:
                raise
            self.fail(error)

    def remove(self) -> None:
        """The networks run eagerly again."""
        for network in self.networks:
            if isinstance(network.__dict__.get("_compiled_call_impl"), CompiledCall):
                network._compiled_call_impl = None
        self.networks = []

    def fail(self, error: Exception) -> None:
        """Say once why compiling failed, and run eagerly from now on."""
        self.remove()
        self.failure = _reason(error)
        rank_zero_warn(
            f"lightgan: torch.compile failed ({self.failure}); training goes on without compiling. "
            "Set model.init_args.compile: false to silence this, or compile: {fullgraph: true} to make it an error."
        )

    def _fresh_options(self) -> dict[str, Any]:
        """The options, copied (torch.compile takes entries out of its ``options`` mapping), by default with a
        recompile limit per network: all networks share ``nn.Module._call_impl``'s code, hence its limit."""
        options = dict(self.options)
        if "isolate_recompiles" in COMPILE_KEYS:
            options.setdefault("isolate_recompiles", True)
        if isinstance(options.get("options"), Mapping):
            options["options"] = dict(options["options"])
        return options


def _reason(error: BaseException) -> str:
    """The innermost error's type and first line: dynamo wraps a backend's error in one that names the backend."""
    while isinstance(inner := getattr(error, "inner_exception", None) or error.__cause__, BaseException):
        error = inner
    first = next((line.strip() for line in str(error).splitlines() if line.strip()), "")
    return f"{type(error).__name__}: {first}" if first else type(error).__name__


def check_channels_last(data_shape: tuple[int, ...]) -> None:
    """Channels-last is a layout of images (C, H, W); vectors have none."""
    if len(data_shape) != 3:
        raise ConfigError(
            f"model.init_args.channels_last=True needs image data (channels, height, width), got data_shape="
            f"{data_shape}. Set channels_last: false for vector data."
        )


def to_channels_last(value: Any) -> Any:
    """4-D tensors (batches of images) in channels-last layout, in a tensor, a dict or a list of them."""
    if isinstance(value, Tensor):
        return value.contiguous(memory_format=torch.channels_last) if value.dim() == 4 else value
    if isinstance(value, dict):
        return {key: to_channels_last(item) for key, item in value.items()}
    if isinstance(value, list):
        return [to_channels_last(item) for item in value]
    return value


def cpu_has_native_bf16() -> bool:
    """Whether this CPU has bfloat16 instructions: AVX512-BF16 or AMX on x86 (cpuinfo's flags), oneDNN's check
    elsewhere. Without them oneDNN emulates bfloat16; when torch cannot tell, the answer is yes."""
    if platform.machine().lower() in ("x86_64", "amd64", "i386", "i686"):
        checks = [getattr(torch.cpu, name, None) for name in ("_is_avx512_bf16_supported", "_is_amx_tile_supported")]
        if None in checks:
            return True
        return any(check() for check in checks)
    return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())


def check_precision(precision: object, accelerator: object) -> None:
    """One line for a ``trainer.precision`` that would not do what it says here, before anything is built.

    - ``16-mixed`` on the CPU: Lightning swaps in ``bf16-mixed`` with a warning, another precision than the
      one asked for (float16 convolutions without AVX512-FP16 were 30x slower than float32 here).
    - ``16-true``: float16 weights and optimizer state. Adam's eps (1e-8) rounds to 0 in float16 and small
      squared gradients underflow, so the first update writes inf and NaN into the weights.
    - ``transformer-engine*`` without NVIDIA's ``transformer_engine`` package installed.
    """
    name = str(precision)
    on_cpu = accelerator == "cpu" or (
        accelerator == "auto" and not torch.cuda.is_available() and not torch.backends.mps.is_available()
    )
    if name in ("16", "16-mixed") and on_cpu:
        raise ConfigError(
            f"trainer.precision={name} needs a GPU: on the CPU Lightning would train in bf16-mixed instead. "
            "Use --trainer.precision bf16-mixed (fast where the CPU has AVX512-BF16 or AMX) or 32-true."
        )
    if name == "16-true":
        raise ConfigError(
            "trainer.precision=16-true keeps the weights and Adam's state in float16, where eps=1e-8 rounds to 0 "
            "and the first update writes inf/NaN into the weights. Use 16-mixed (GPU) or bf16-mixed: both keep "
            "float32 weights."
        )
    if name.startswith("transformer-engine") and importlib.util.find_spec("transformer_engine") is None:
        raise ConfigError(
            f"trainer.precision={name} needs NVIDIA's transformer_engine package, which is not installed: "
            "pip install transformer_engine (NVIDIA GPUs), or use 16-mixed or bf16-mixed."
        )


def warn_if_slow_bf16(precision: str, device: torch.device) -> None:
    """bf16 on a CPU without bfloat16 instructions is emulated: say so before a run that would crawl."""
    if str(precision).startswith("bf16") and device.type == "cpu" and not cpu_has_native_bf16():
        rank_zero_warn(
            f"lightgan: trainer.precision={precision} on a CPU without bfloat16 instructions (AVX512-BF16 or AMX): "
            "bfloat16 is emulated, which made a DCGAN step 1.7x slower than 32-bit with AVX-512 and 25x slower "
            "with AVX2 only. Use --trainer.precision 32-true on this machine."
        )
