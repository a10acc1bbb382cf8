"""Stage code: src/lockstep/ → code/<stage>.sha256; `lockstep code`, first in `dvc repro`.

Each other stage depends on one file, its manifest, instead of every module it runs: the lockstep
modules `lockstep <stage>` runs, one line each, ``<sha256>  src/lockstep/<path>.py``, sorted (the
`sha256sum` format: `sha256sum -c code/train.sha256` checks a checkout). This stage depends on
the src/lockstep folder, so an edit anywhere in it re-runs this stage (about 0.35 s of CPU), and
DVC then re-runs exactly the stages whose manifest changed.

What a stage runs is read from the source with ast (nothing is imported): stages/<stage>.py and
every lockstep module it imports, transitively, imports inside functions included. cli.py only
dispatches. It pins the numeric environment (lockstep.numerics) before every command, but only
the outputs of its NUMERIC_COMMANDS depend on the BLAS kernel it pins, so only those stages'
manifests list lockstep.numerics and what it imports. The packages' __init__.py hold only docstrings
(lockstep/__init__.py: its ``__version__`` too; tests/test_layout.py checks it), so no manifest
lists them.
"""

from __future__ import annotations

import ast
import importlib.util
from pathlib import Path

import click

from ..errors import LockstepError
from ..io import sha256_file, write_text
from ..paths import CODE_DIR, SOURCE_DIR

PACKAGE = "lockstep"
PARAMS: tuple[str, ...] = ()  # it reads no params: its `params:` in dvc.yaml is empty
# The constants of cli.py this stage reads (as text: a stage never imports the command group).
CLI_COMMANDS, CLI_NUMERIC = "COMMANDS", "NUMERIC_COMMANDS"


def statements(tree: ast.Module) -> list[ast.AST]:
    """Every statement of ``tree``, nested ones too (an import is a statement, so this finds each
    one without visiting the expressions, most of a module's nodes)."""
    found, todo = [], list(tree.body)
    while todo:
        node = todo.pop()
        found.append(node)
        for field in ("body", "orelse", "finalbody", "handlers", "cases"):
            todo.extend(getattr(node, field, ()))
    return found


class Modules:
    """The modules of the lockstep package under ``src`` and what each imports, read with ast."""

    def __init__(self, src: str | Path = SOURCE_DIR) -> None:
        self.src = Path(src)
        self.paths = {self.name(p): p for p in sorted((self.src / PACKAGE).rglob("*.py"))}
        self._trees: dict[str, ast.Module] = {}
        self._imports: dict[str, frozenset[str]] = {}

    def name(self, path: Path) -> str:
        parts = path.relative_to(self.src).with_suffix("").parts
        return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)

    def tree(self, name: str) -> ast.Module:
        if name not in self._trees:
            path = self.paths[name]
            try:
                self._trees[name] = ast.parse(path.read_bytes(), filename=str(path))
            except SyntaxError as exc:
                raise LockstepError(f"{path}:{exc.lineno}: cannot parse it: {exc.msg}") from exc
        return self._trees[name]

    def imports(self, name: str) -> frozenset[str]:
        """The lockstep modules ``name`` imports anywhere (in functions too), as module names."""
        if name not in self._imports:
            package = name if self.paths[name].name == "__init__.py" else name.rpartition(".")[0]
            found = set()
            for node in statements(self.tree(name)):
                if isinstance(node, ast.Import):
                    found |= {alias.name for alias in node.names}
                elif isinstance(node, ast.ImportFrom):
                    base = node.module or ""
                    if node.level:
                        base = importlib.util.resolve_name("." * node.level + base, package)
                    for alias in node.names:
                        sub = f"{base}.{alias.name}"
                        found.add(sub if sub in self.paths else base)
            self._imports[name] = frozenset(m for m in found if m in self.paths and m != name)
        return self._imports[name]

    def closure(self, name: str) -> set[str]:
        """``name`` and every lockstep module it imports, transitively."""
        seen, todo = set(), [name]
        while todo:
            current = todo.pop()
            if current not in seen:
                seen.add(current)
                todo.extend(self.imports(current))
        return seen

    def cli_constant(self, constant: str) -> object:
        """A literal assigned at the top of cli.py (``frozenset({...})`` read as its set)."""
        where = self.paths[f"{PACKAGE}.cli"]
        for node in self.tree(f"{PACKAGE}.cli").body:
            targets = (
                [node.target] if isinstance(node, ast.AnnAssign) else getattr(node, "targets", ())
            )
            names = [getattr(t, "id", None) for t in targets]
            if isinstance(node, ast.Assign | ast.AnnAssign) and names == [constant] and node.value:
                value = node.value
                if isinstance(value, ast.Call) and ast.unparse(value.func) == "frozenset":
                    value = value.args[0] if value.args else ast.Set(elts=[])
                try:
                    return ast.literal_eval(value)
                except (ValueError, TypeError, SyntaxError) as exc:
                    raise LockstepError(
                        f"{where}:{node.lineno}: keep {constant} a literal"
                    ) from exc
        raise LockstepError(f"{where}: no {constant} = ... found (`lockstep code` reads it)")

    def stages(self) -> list[str]:
        """The pipeline stages with a module in stages/ (cli.py's COMMANDS order), but this one."""
        commands = self.cli_constant(CLI_COMMANDS)
        return [c for c in commands if f"{PACKAGE}.stages.{c}" in self.paths and c != "code"]

    def runs(self, stage: str) -> list[str]:
        """The files of the modules `lockstep <stage>` runs, sorted, relative to src's parent."""
        names = self.closure(f"{PACKAGE}.stages.{stage}")
        if stage in self.cli_constant(CLI_NUMERIC):
            names |= self.closure(f"{PACKAGE}.numerics")
        paths = (self.paths[n] for n in names if self.paths[n].name != "__init__.py")
        return sorted(p.relative_to(self.src.parent).as_posix() for p in paths)

    def manifest(self, stage: str) -> str:
        """``<sha256>  <path>`` per module ``stage`` runs (sha256sum's format), sorted by path."""
        root = self.src.parent
        return "".join(f"{sha256_file(root / path)}  {path}\n" for path in self.runs(stage))

    def manifests(self) -> dict[str, str]:
        """``code/<stage>.sha256`` (relative to src's parent) -> its text, for every stage."""
        return {f"{CODE_DIR}/{s}.sha256": self.manifest(s) for s in self.stages()}


def stale(root: Path, manifests: dict[str, str]) -> list[str]:
    """The manifests under ``root`` that are missing, differ from ``manifests`` or are extra."""
    found = {p.relative_to(root).as_posix() for p in (root / CODE_DIR).glob("*.sha256")}
    differ = [p for p, text in manifests.items() if not _matches(root / p, text)]
    return sorted({*differ, *(found - manifests.keys())})


def _matches(path: Path, text: str) -> bool:
    return path.is_file() and path.read_text(encoding="utf-8") == text


@click.command("code")
@click.option("--check", is_flag=True, help="Exit 1 if a manifest is stale; write nothing.")
def command(check: bool) -> None:
    """Write code/<stage>.sha256: the sha256 of each module a stage runs (its code dependency)."""
    if not (Path(SOURCE_DIR) / PACKAGE / "cli.py").is_file():
        raise LockstepError(f"{SOURCE_DIR}/{PACKAGE}/cli.py not found: run from the project root")
    manifests = Modules().manifests()
    outdated = stale(Path("."), manifests)
    if check and outdated:
        error = LockstepError(
            f"{', '.join(outdated)}: out of date with {SOURCE_DIR}/{PACKAGE}/: run "
            "`lockstep code` (or `dvc repro`) and commit the result"
        )
        error.outputs_touched = False  # --check writes and deletes nothing
        raise error
    if check:
        click.echo(f"code: {CODE_DIR}/ matches {SOURCE_DIR}/{PACKAGE}/")
        return
    for path in outdated:
        if path in manifests:
            write_text(path, manifests[path])
        else:
            Path(path).unlink()  # the manifest of a stage that no longer exists
    click.echo(f"code: {len(outdated)} of {len(manifests)} manifests in {CODE_DIR}/ rewritten")
