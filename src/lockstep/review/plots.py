"""`lockstep plots`: `dvc plots show` that renders with no network.

DVC's HTML loads Vega, Vega-Lite and Vega-Embed from a CDN, so the page is blank offline. This
writes an HTML template with the three libraries inlined (vl-convert-python bundles them; the
`plots` extra installs it) and passes it to `dvc plots show --html-template`. The template has no
`{scripts}` placeholder, so DVC's CDN script tags are left out.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import click

from ..errors import LockstepError
from ..io import write_text

TEMPLATE = """<!DOCTYPE html>
<html>
<head>
<meta charset="utf-8">
<title>lockstep plots</title>
<script type="text/javascript">
{bundle}
</script>
<style>table {{ border-spacing: 15px; }}</style>
</head>
<body>
{{plot_divs}}
</body>
</html>
"""


def offline_template() -> str:
    """The HTML template with Vega, Vega-Lite and Vega-Embed inlined (as window globals)."""
    try:
        import vl_convert
    except ImportError as exc:
        raise LockstepError(
            "offline plots need vl-convert-python: pip install 'lockstep[plots]'"
        ) from exc
    bundle = vl_convert.javascript_bundle().replace("</script", "<\\/script")
    return TEMPLATE.format(bundle=bundle)


@click.command("plots")
@click.argument("targets", nargs=-1)
@click.option("-o", "--out", default="dvc_plots", show_default=True, help="Output folder.")
def command(targets: tuple[str, ...], out: str) -> None:
    """Render the pipeline's plots to OUT/index.html with no network (like `dvc plots show`)."""
    template = Path(out) / "offline_template.html"
    write_text(template, offline_template())
    args = ["dvc", "plots", "show", "--html-template", str(template), "-o", out, *targets]
    done = subprocess.run(args, check=False)
    if done.returncode:
        raise LockstepError(f"`{' '.join(args)}` failed (exit {done.returncode})")
    click.echo(f"plots: {out}/index.html (no network needed)")
