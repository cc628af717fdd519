"""Stage registry, pipeline configuration and the Pipeline itself.

A stage is a small class with a ``name``, a config dict and
``process(batch) -> batch``. It reads the fields it needs and adds its own;
it does no I/O beyond loading its own model files.
"""

from __future__ import annotations

import copy
import time
import importlib
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Callable, ClassVar

from . import __version__
from .document import Document
from .errors import ConfigError


class Stage:
    """Base class of pipeline stages."""

    name: ClassVar[str] = ""
    version: ClassVar[str] = "1"  # bump when the stage's output changes

    def __init__(self, config: dict[str, Any] | None = None):
        self.config = dict(config or {})

    def process(self, batch: list[Document]) -> list[Document]:  # pragma: no cover - interface
        raise NotImplementedError

    @classmethod
    def does_anything(cls, options: dict[str, Any]) -> bool:
        """False when these options make the stage store nothing (a taxonomy stage with no
        taxonomy): such a stage does not count in a run's analysis (``engines.local.analysis_id``)."""
        return True

    @classmethod
    def options_digest(cls, options: dict[str, Any]) -> str:
        """What these options bring in beyond their own values and the class ``version`` (the
        contents of the taxonomies a taxonomy stage matches); part of a run's analysis id."""
        return ""


_REGISTRY: dict[str, type[Stage]] = {}

# Modules that register the built-in stages; imported lazily so that
# ``import narrascope`` stays fast and heavy models load only when used.
_BUILTIN_MODULES = {
    "extract": "narrascope.extract.stages",
    "segment": "narrascope.extract.stages",
    "language": "narrascope.nlp.language",
    "sentences": "narrascope.nlp.sentences",
    "techniques": "narrascope.detect.techniques",
    "vectors": "narrascope.nlp.vectors",
    "entities": "narrascope.nlp.entities",
    "quotes": "narrascope.nlp.quotes",
    "tone": "narrascope.nlp.tone",
    "genre": "narrascope.detect.genre_frames",
    "frames": "narrascope.detect.genre_frames",
    "roles": "narrascope.detect.roles",
    "narratives": "narrascope.detect.narratives",
    "taxonomy": "narrascope.taxonomy",
}


def register_stage(cls: type[Stage]) -> type[Stage]:
    """Class decorator: make a stage available to pipelines by its ``name``."""
    if not cls.name:
        raise ConfigError(f"stage class {cls.__name__} has no name")
    _REGISTRY[cls.name] = cls
    return cls


def get_stage(name: str) -> type[Stage]:
    if name not in _REGISTRY and name in _BUILTIN_MODULES:
        importlib.import_module(_BUILTIN_MODULES[name])
    try:
        return _REGISTRY[name]
    except KeyError:
        known = sorted(set(_REGISTRY) | set(_BUILTIN_MODULES))
        raise ConfigError(f"unknown stage {name!r}; known stages: {', '.join(known)}") from None


def available_stages() -> list[str]:
    return sorted(set(_REGISTRY) | set(_BUILTIN_MODULES))


def _merge(base: dict, override: dict) -> dict:
    out = copy.deepcopy(base)
    for k, v in override.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = _merge(out[k], v)
        else:
            out[k] = v
    return out


def default_config() -> dict[str, Any]:
    text = resources.files("narrascope").joinpath("config/default.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)


def load_config(path: str | Path | None = None, overrides: dict[str, Any] | None = None,
                profile: str | None = None) -> dict[str, Any]:
    """The built-in default config, updated by a TOML file, then by ``overrides``, then by a profile.

    ``profile`` (else ``[pipeline] profile``) names a ``[profiles.NAME]`` table applied last.
    """
    config = default_config()
    if path is not None:
        p = Path(path)
        try:
            user = tomllib.loads(p.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConfigError(f"{p}: config file not found") from None
        except tomllib.TOMLDecodeError as e:
            raise ConfigError(f"{p}: invalid TOML: {e}") from None
        config = _merge(config, user)
    if overrides:
        config = _merge(config, overrides)
    config = apply_profile(config, profile)
    from .nlp.encoder import check_precision

    check_precision(config.get("encoder", {}).get("precision", "fp32"))
    for phase in ("prepare", "analyze"):
        for name in config.get("pipeline", {}).get(phase, []):
            get_stage(name)  # fail early on unknown names
    return config


def apply_profile(config: dict[str, Any], name: str | None = None) -> dict[str, Any]:
    """``config`` with the stage lists and stage options of ``[profiles.NAME]`` applied.

    The applied profile's name is left in ``[pipeline] profile`` (and so in each run's record).
    """
    name = name or config.get("pipeline", {}).get("profile") or "full"
    profiles = config.get("profiles", {})
    if name not in profiles:
        known = ", ".join(sorted(profiles)) or "none"
        raise ConfigError(f"unknown profile {name!r}; profiles in the config: {known}")
    profile = profiles[name]
    out = copy.deepcopy(config)
    pipeline = out.setdefault("pipeline", {})
    for phase in ("prepare", "analyze"):
        if phase in profile:
            pipeline[phase] = list(profile[phase])
    if "stages" in profile:
        out["stages"] = _merge(out.get("stages", {}), profile["stages"])
    pipeline["profile"] = name
    return out


@dataclass
class Pipeline:
    """An ordered list of configured stages."""

    stages: list[Stage] = field(default_factory=list)

    @classmethod
    def from_names(cls, names: list[str], config: dict[str, Any] | None = None) -> "Pipeline":
        stage_cfg = (config or {}).get("stages", {})
        return cls([get_stage(n)(stage_cfg.get(n, {})) for n in names])

    @classmethod
    def from_config(cls, config: dict[str, Any], phase: str) -> "Pipeline":
        from .nlp import encoder

        encoder.configure(config)  # the shared encoder pass follows the config's [encoder] settings
        return cls.from_names(list(config.get("pipeline", {}).get(phase, [])), config)

    @property
    def names(self) -> list[str]:
        return [s.name for s in self.stages]

    def versions(self) -> dict[str, str]:
        return {"narrascope": __version__, **{s.name: s.version for s in self.stages}}

    def __call__(self, batch: list[Document], on_stage: Callable[[str, float], None] | None = None) -> list[Document]:
        """Run every stage over the batch.

        A document a stage cannot handle gets ``meta["problem"]`` set (by the stage,
        or here when the stage raised on it) and is passed through untouched by
        later stages. A stage that raises on a batch is retried one document at a
        time so one bad input never costs the others.
        """
        for stage in self.stages:
            t0 = time.perf_counter()
            ok = [d for d in batch if not d.meta.get("problem")]
            if ok:
                try:
                    stage.process(ok)
                except Exception:
                    for doc in ok:
                        try:
                            stage.process([doc])
                        except Exception as exc:  # noqa: BLE001 - reported per document
                            doc.meta["problem"] = f"{stage.name} failed: {type(exc).__name__}: {exc}"
            if on_stage:
                on_stage(stage.name, time.perf_counter() - t0)
        return batch
