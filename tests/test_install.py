"""aipo installs from its wheel into a fresh environment and works outside the checkout."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT


def _run(cmd: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, f"{' '.join(cmd)}\n{result.stdout}\n{result.stderr}"
    return result


@pytest.mark.build
def test_wheel_installs_into_a_fresh_venv_and_scaffolds_a_portal(tmp_path):
    """The distribution is aipo-portal (aipo on the index is another project); the command, the
    plugin and the import keep their names. Nothing of the checkout is on the path."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env.update(NO_MKDOCS_2_WARNING="1", PIP_DISABLE_PIP_VERSION_CHECK="1")
    dist = tmp_path / "dist"
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(dist), str(ROOT)],
         tmp_path, env)  # fmt: skip
    (wheel,) = dist.glob("aipo_portal-*.whl")
    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", str(venv)], tmp_path, env)
    bin_ = venv / "bin"
    _run([str(bin_ / "pip"), "install", "-q", str(wheel)], tmp_path, env)
    work = tmp_path / "work"
    work.mkdir()
    where = _run([str(bin_ / "python"), "-c", "import aipo_site; print(aipo_site.__file__)"],
                 work, env).stdout  # fmt: skip
    assert str(venv) in where and str(ROOT) not in where
    assert _run([str(bin_ / "aipo"), "--version"], work, env).stdout.strip() == "aipo 0.1.0"
    init = _run([str(bin_ / "aipo"), "init", "gov", "--as-of", "2026-11-20"], work, env)
    assert "installed from a local folder or file" in init.stdout  # a wheel file on this disk
    gov = work / "gov"
    assert "aipo-portal==0.1.0" in (gov / "requirements.txt").read_text().splitlines()
    _run([str(bin_ / "aipo"), "check"], gov, env)
    _run([str(bin_ / "mkdocs"), "build", "--strict"], gov, env)
    assert (gov / "site" / "models" / "example-model.html").is_file()
