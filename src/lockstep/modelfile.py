"""Safe, byte-stable model files: skops archives, loaded with an explicit trusted-types list.

A model fetched from another commit or the registry is checked against TRUSTED_TYPES before
anything in it is built, so loading it never runs arbitrary code. The archive is rewritten so
equal models give equal bytes (a fixed timestamp, sequential names).
"""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any

from .errors import LockstepError
from .swap import replaced

# Every type a lockstep pipeline holds (all three families), and nothing else is loaded: skops'
# own default trust list of all scikit-learn estimators is left empty (see skops_io).
TRUSTED_TYPES = [
    # histogram gradient boosting with categorical features validates its numeric columns with
    # partial(check_array, ...): the partial and that one function, no other callable
    "functools.partial",
    "lockstep.features.DerivedFeatures",
    "numpy.dtype",
    "sklearn.compose._column_transformer.ColumnTransformer",
    "sklearn.ensemble._forest.RandomForestClassifier",
    "sklearn.ensemble._hist_gradient_boosting.gradient_boosting.HistGradientBoostingClassifier",
    "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
    "sklearn.impute._base.SimpleImputer",
    "sklearn.linear_model._logistic.LogisticRegression",
    "sklearn.pipeline.Pipeline",
    "sklearn.preprocessing._data.StandardScaler",
    "sklearn.preprocessing._encoders.OneHotEncoder",
    "sklearn.preprocessing._encoders.OrdinalEncoder",
    "sklearn.preprocessing._function_transformer.FunctionTransformer",
    "sklearn.preprocessing._label.LabelEncoder",
    "sklearn.tree._classes.DecisionTreeClassifier",
    "sklearn.tree._tree.Tree",
    "sklearn.utils.validation.check_array",
]
_ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)


def _canonical_zip(data: bytes) -> bytes:
    """Rewrite a skops archive so equal models give equal bytes.

    skops names array files and memo keys (``__id__``) after ``id()`` and stamps the current
    time. Renumber both in the order the schema first mentions them (a one-to-one mapping, so
    shared objects stay shared) and use a fixed timestamp.
    """
    source = zipfile.ZipFile(io.BytesIO(data))
    schema = json.loads(source.read("schema.json"))
    renames: dict[str, str] = {}
    ids: dict[int, int] = {}

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            out = {}
            for key, value in node.items():
                if key == "file" and isinstance(value, str):
                    suffix = value[value.rfind(".") :] if "." in value else ""
                    value = renames.setdefault(value, f"{len(renames):05d}{suffix}")
                elif key == "__id__" and isinstance(value, int):
                    value = ids.setdefault(value, len(ids))
                out[key] = walk(value)
            return out
        if isinstance(node, list):
            return [walk(v) for v in node]
        return node

    schema = walk(schema)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as target:

        def put(name: str, payload: bytes) -> None:
            info = zipfile.ZipInfo(name, date_time=_ZIP_EPOCH)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            target.writestr(info, payload)

        put("schema.json", json.dumps(schema, indent=2, sort_keys=False).encode())
        for old, new in renames.items():
            put(new, source.read(old))
    return buffer.getvalue()


def skops_io() -> Any:
    """``skops.io``, imported without its default trust list of every scikit-learn estimator.

    Importing skops.io calls ``sklearn.utils.all_estimators()``, which imports every
    scikit-learn module to list 200+ estimators it trusts by default: about 1 s of CPU in each
    process that saves or loads a model. lockstep never relies on that list (TRUSTED_TYPES names
    every type its pipelines hold, and both dumps_model and loads_model check against it), so
    skops.io is first imported with that function returning nothing (lockstep.swap). skops keeps
    the empty list for the rest of the process: any other skops user in it trusts only what it
    names itself, as lockstep does."""
    import sys

    if "skops.io" not in sys.modules:
        import sklearn.utils

        with replaced(sklearn.utils, {"all_estimators": lambda _: lambda *args, **kwargs: []}):
            import skops.io  # noqa: F401
    return sys.modules["skops.io"]


def dumps_model(model: Any) -> bytes:
    sio = skops_io()
    data = _canonical_zip(sio.dumps(model))
    untrusted = sorted(set(sio.get_untrusted_types(data=data)) - set(TRUSTED_TYPES))
    if untrusted:
        raise LockstepError(
            "the model contains types lockstep does not trust to load: "
            f"{', '.join(untrusted)}; add them to TRUSTED_TYPES in lockstep/modelfile.py "
            "only if safe"
        )
    return data


def loads_model(data: bytes, where: str = "model") -> Any:
    sio = skops_io()

    untrusted = sorted(set(sio.get_untrusted_types(data=data)) - set(TRUSTED_TYPES))
    if untrusted:
        raise LockstepError(
            f"{where} contains untrusted types and was not loaded: {untrusted}; lockstep loads "
            "only TRUSTED_TYPES (lockstep/modelfile.py): rebuild the model with `dvc repro "
            "train`, or add a type there only if you trust where the file came from"
        )
    return sio.loads(data, trusted=TRUSTED_TYPES)


def load_model(path: str) -> Any:
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except FileNotFoundError as exc:
        raise LockstepError(f"model file {path} not found: run `dvc repro train`") from exc
    try:
        return loads_model(data, where=path)
    except (zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise LockstepError(
            f"model file {path} is not a readable skops file ({exc}); "
            "restore it with `dvc checkout` or rebuild it with `dvc repro train`"
        ) from exc
