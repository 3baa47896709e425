"""Saving and safely loading what a run directory holds: networks, surrogates and arrays.

Nothing here unpickles arbitrary objects: networks are ``state_dict``s read with
``torch.load(weights_only=True)`` (or TorchScript archives), surrogates are skops files loaded with an
explicit list of trusted types, and arrays are ``.npz`` files read with ``allow_pickle=False``.
"""

from __future__ import annotations

import json
import re
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import skops.io as sio
import torch
from torch import nn

from .ensemble import EnsembleTeacher, member_names
from .errors import ModelFileError
from .image_features import PatchSurrogate
from .models import MLP, Centre, ResNet, SmallCNN, build_network, load_torchscript
from .soft_tree import SoftDecisionTree
from .surrogates import TASKS

if TYPE_CHECKING:
    from .data import Dataset

# The types a surrogate file may name beyond those skops trusts by default (numpy arrays, builtin containers,
# scikit-learn estimators): the registered surrogates of every task (classification and regression), under their
# module's path and under the path they had before surrogates.py became a package (runs saved by 0.1.0 name
# `interpret_distill.surrogates.TreeSurrogate`), the tree structure inside a decision tree, and the wrapper of a
# surrogate fitted on image patch features. Anything else (a function such as os.system or builtins.eval, an unknown
# class) is refused before loading.
_REGISTERED = [cls for registry in TASKS.values() for cls in registry.values()]
TRUSTED_TYPES = frozenset(
    {f"{cls.__module__}.{cls.__name__}" for cls in _REGISTERED}
    | {f"interpret_distill.surrogates.{cls.__name__}" for cls in _REGISTERED}
    | {"sklearn.tree._tree.Tree", f"{PatchSurrogate.__module__}.{PatchSurrogate.__name__}"}
)


def safe_filename(name: str) -> str:
    """A file name made of letters, digits, ``_``, ``-`` and ``.`` only (never a path)."""
    cleaned = re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("._")
    return cleaned or "model"


def surrogate_size(estimator: Any) -> int:
    """Serialized size of a surrogate in bytes (its skops representation)."""
    return len(sio.dumps(estimator))


def save_surrogate(estimator: Any, path: str | Path) -> None:
    """Write a surrogate as a skops file (no pickle)."""
    sio.dump(estimator, path)


def load_surrogate(path: str | Path) -> Any:
    """Load a skops surrogate, trusting only scikit-learn, numpy and interpret_distill types.

    Raises:
        ModelFileError: the file is not a skops archive (e.g. a pickle) or names an untrusted type.
    """
    path = Path(path)
    if not path.is_file():
        raise ModelFileError(f"surrogate file not found: {path}")
    try:
        untrusted = sio.get_untrusted_types(file=path)
    except Exception:
        raise ModelFileError(
            f"{path} is not a skops model file (pickles are refused because loading them can run code; nothing in "
            "it was executed); save surrogates with interpret_distill.artifacts.save_surrogate"
        ) from None
    refused = sorted(t for t in untrusted if t not in TRUSTED_TYPES)
    if refused:
        raise ModelFileError(f"{path} names types that are not trusted ({', '.join(refused[:5])}); refusing to load "
                             "it (nothing in it was executed)")
    try:
        return sio.load(path, trusted=list(untrusted))
    except Exception as exc:
        raise ModelFileError(f"{path} is a corrupt skops file ({type(exc).__name__}); re-run the experiment") from None


def network_spec(module: nn.Module) -> dict | None:
    """How to rebuild one of our own architectures, or None for a user's module.

    Example:
        >>> network_spec(MLP(4, 2, hidden=[3]))["hidden"], network_spec(nn.Identity())
        ([3], None)
    """
    if isinstance(module, MLP):
        linears = [m for m in module if isinstance(m, nn.Linear)]
        dropout = next((m.p for m in module if isinstance(m, nn.Dropout)), 0.0)
        return {"arch": "mlp", "n_features": linears[0].in_features, "n_classes": linears[-1].out_features,
                "hidden": [m.out_features for m in linears[:-1]], "dropout": dropout,
                "centre": isinstance(module[0], Centre)}
    if isinstance(module, SmallCNN):
        convs = [m for m in module.features if isinstance(m, nn.Conv2d)]
        return {"arch": "cnn", "image_shape": list(module.image_shape), "n_classes": module.head[-1].out_features,
                "channels": [m.out_channels for m in convs], "n_features": int(np.prod(module.image_shape))}
    if isinstance(module, ResNet):
        return {"arch": "resnet", "image_shape": list(module.image_shape), "n_classes": module.head[-1].out_features,
                "channels": list(module.channels), "blocks": module.blocks,
                "n_features": int(np.prod(module.image_shape))}
    if isinstance(module, SoftDecisionTree):
        return {"arch": "soft_tree", **module.spec()}
    return None


def save_network(module: nn.Module, folder: Path, name: str, example: np.ndarray, recipe: dict | None = None) -> dict:
    """Save a network as a ``state_dict`` plus the spec to rebuild it, or as TorchScript for a user's module.

    A quantized network (``recipe={"quantization": scheme}``) is saved as its int8 ``state_dict``; loading rebuilds
    the float architecture, quantizes it with the same scheme and reads the int8 weights into it.
    """
    stem = safe_filename(name)
    module = module.cpu()  # a saved run loads on any machine (and traces against the CPU example rows)
    if isinstance(module, EnsembleTeacher):  # each member in a file of its own, the way it would be saved alone
        members = [save_network(member, folder, f"{name}.{member_name}", example)
                   for member, member_name in zip(module.members, member_names(len(module.members)))]
        return {"file": None, "format": "ensemble", "combine": module.combine, "members": members}
    spec = network_spec(module)
    if spec is not None:
        torch.save(module.state_dict(), folder / f"{stem}.pt")
        return {"file": f"{stem}.pt", "format": "state_dict", "spec": spec, **({"recipe": recipe} if recipe else {})}
    scripted = module if isinstance(module, torch.jit.ScriptModule) else _trace(module, example)
    if scripted is None:
        return {"file": None, "format": "unavailable",
                "reason": "a Python teacher that TorchScript cannot trace (e.g. one computing in numpy) is not saved"}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # torch.jit.* deprecation notices
        torch.jit.save(scripted, str(folder / f"{stem}.ts"))
    return {"file": f"{stem}.ts", "format": "torchscript"}


def _trace(module: nn.Module, example: np.ndarray) -> torch.jit.ScriptModule | None:
    """Trace a user's module to TorchScript, or None if it cannot be traced faithfully."""
    if getattr(module, "differentiable", True) is False:
        return None  # a wrapped numpy callable: tracing would freeze its outputs into constants
    x = torch.as_tensor(np.asarray(example[:2], dtype=np.float32))
    try:
        with warnings.catch_warnings(), torch.no_grad():
            warnings.simplefilter("ignore")  # TracerWarnings about Python values: checked below instead
            traced = torch.jit.trace(module.eval(), x, check_trace=False)
            probe = torch.as_tensor(np.asarray(example, dtype=np.float32)).flip(0) + 0.5
            if not torch.allclose(traced(probe), module(probe), atol=1e-5, rtol=1e-4):
                return None
    except Exception:
        return None
    return traced


def load_network(folder: Path, entry: dict) -> nn.Module:
    """Rebuild a network saved by :func:`save_network` (weights only, no pickle)."""
    if entry["format"] == "unavailable":
        raise ModelFileError(f"this model was not saved with the run: {entry.get('reason', 'it cannot be serialised')}")
    if entry["format"] == "ensemble":
        return EnsembleTeacher([load_network(folder, member) for member in entry["members"]], entry["combine"]).eval()
    path = folder / entry["file"]
    if entry["format"] == "torchscript":
        try:
            return load_torchscript(path)
        except Exception as exc:
            raise ModelFileError(f"{path} is not a readable TorchScript file ({type(exc).__name__}); "
                                 "re-run the experiment") from None
    spec = dict(entry["spec"])
    module = build_network(spec.pop("arch"), spec.pop("n_features"), spec.pop("n_classes"),
                           spec.pop("image_shape", None), **spec)
    scheme = entry.get("recipe", {}).get("quantization")
    try:
        if scheme is not None:
            from .quantization import quantize  # imports torchao, whose int8 tensors weights_only loading accepts

            module = quantize(module, scheme)
        module.load_state_dict(torch.load(path, weights_only=True, map_location="cpu"))
    except Exception as exc:
        raise ModelFileError(f"{path} could not be loaded as weights ({type(exc).__name__}); re-run the experiment") from None
    return module.eval()


def save_models(run_dir: Path, models: list, example: np.ndarray) -> None:
    """Write every model (:class:`~interpret_distill.results.FittedModel`) under ``run_dir/models`` with a manifest.

    ``example`` rows let a user's module be traced to TorchScript.
    """
    folder = run_dir / "models"
    folder.mkdir()
    manifest = {}
    for m in models:
        meta = {"family": m.family, "kind": m.kind, "regime": m.regime, "role": m.role, "params": m.params,
                "transfer": m.fitting_rows}
        if m.is_torch:
            meta.update(save_network(m.model, folder, m.name, example, m.recipe))
        else:
            meta["file"] = f"{safe_filename(m.name)}.skops"
            meta["format"] = "skops"
            save_surrogate(m.model, folder / meta["file"])
        manifest[m.name] = meta
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=2))


# Test inputs above this size are not copied into the run: the data they come from is on disk (or generated from the
# seed), and load_run rebuilds them from the run's config when asked.
MAX_SAVED_TEST_BYTES = 16 * 2**20


def save_arrays(run_dir: Path, dataset: "Dataset", test_probs: dict[str, np.ndarray], attribution) -> None:
    """Test labels and every model's test probabilities (and the test inputs when they are small, see
    :data:`MAX_SAVED_TEST_BYTES`); attributions, with the inputs they explain, in their own archive."""
    names = list(test_probs)
    inputs = {"X_test": dataset.X_test} if dataset.X_test.nbytes <= MAX_SAVED_TEST_BYTES else {}
    np.savez_compressed(
        run_dir / "predictions.npz", **inputs, y_test=dataset.y_test,
        model_names=np.array(names), probs=np.stack([test_probs[n] for n in names]),
    )
    attribution.save(run_dir / "attributions.npz")


def load_npz(path: Path) -> dict[str, np.ndarray]:
    """Read an ``.npz`` archive without ever unpickling."""
    try:
        with np.load(path, allow_pickle=False) as archive:
            return {k: archive[k] for k in archive.files}
    except ValueError as exc:
        if "pickle" not in str(exc):
            raise
        # numpy's own message suggests loading with allow_pickle, which must never be done with a user's file
        raise ValueError("not an archive of plain arrays; pickled data is never loaded") from None
