"""Reproduction records: the in-toto Statement, DSSE signing with git's key, notes, machine."""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
import subprocess
from pathlib import Path

import pytest

from lockstep.errors import LockstepError
from lockstep.registry.notes import open_record, summary
from lockstep.reproduce.attest import (
    PAYLOAD_TYPE,
    PREDICATE_TYPE,
    SSH_NAMESPACE,
    dumps,
    output_entries,
    overall,
    pae,
    sign,
    statement,
)
from lockstep.reproduce.machine import cpu, facts
from lockstep.reproduce.verdicts import DIFFERENT, EQUIVALENT, IDENTICAL, Verdict
from lockstep.reproduce.verify import Row


def entry(name: str, verdict: str, committed: str | None = "c" * 64) -> dict:
    return {
        "name": name,
        "stage": "train",
        "lock_md5": "d" * 32,
        "committed_sha256": committed,
        "reproduced_sha256": "e" * 64,
        "verdict": verdict,
        "max_difference": 0.0,
        "note": "",
    }


def test_statement_is_in_toto_v1_with_committed_outputs_as_subjects():
    outputs = [entry("z.json", IDENTICAL), entry("a.skops", EQUIVALENT)]
    outputs.append(entry("x", IDENTICAL, None))
    doc = statement("f" * 40, outputs, {"mode": "repro", "environment": {"cpu": {}}})
    assert doc["_type"] == "https://in-toto.io/Statement/v1"
    assert doc["predicateType"] == PREDICATE_TYPE
    assert doc["subject"] == [
        {"name": "a.skops", "digest": {"sha256": "c" * 64, "md5": "d" * 32}},
        {"name": "z.json", "digest": {"sha256": "c" * 64, "md5": "d" * 32}},
    ]
    predicate = doc["predicate"]
    assert predicate["commit"] == "f" * 40 and predicate["verdict"] == EQUIVALENT
    assert [o["name"] for o in predicate["outputs"]] == ["a.skops", "x", "z.json"]
    assert predicate["mode"] == "repro" and "environment" in predicate


def test_overall_verdict_is_the_worst_one():
    assert overall([IDENTICAL, IDENTICAL]) == IDENTICAL
    assert overall([IDENTICAL, EQUIVALENT]) == EQUIVALENT
    assert overall([EQUIVALENT, DIFFERENT, IDENTICAL]) == DIFFERENT


def test_records_are_written_deterministically_with_sorted_keys():
    doc = statement("f" * 40, [entry("b", IDENTICAL), entry("a", IDENTICAL)], {"z": 1, "a": 2})
    again = statement("f" * 40, [entry("a", IDENTICAL), entry("b", IDENTICAL)], {"a": 2, "z": 1})
    assert dumps(doc) == dumps(again)
    text = dumps(doc).decode()
    assert text.index('"_type"') < text.index('"predicate"') < text.index('"subject"')
    assert open_record(text) == (doc, False)
    assert summary(text) == f"{IDENTICAL}, unsigned"


def test_pae_is_dsse_v1():
    # the example in the DSSE v1 protocol description
    assert pae("http://example.com/HelloWorld", b"hello world") == (
        b"DSSEv1 29 http://example.com/HelloWorld 11 hello world"
    )


def test_output_entries_hash_committed_and_reproduced_bytes(tmp_path):
    (tmp_path / "same.json").write_bytes(b"{}")
    (tmp_path / "m.skops").write_bytes(b"new")
    rows = [
        Row("evaluate", "same.json", "1" * 32, "1" * 32),
        Row("train", "m.skops", "2" * 32, "3" * 32, Verdict(EQUIVALENT, 1e-12)),
        Row("train", "gone.bin", "4" * 32, "missing", Verdict(DIFFERENT, None, "not reproduced")),
    ]
    committed = {("m.skops", "2" * 32): b"old"}
    got = output_entries(rows, tmp_path, lambda path, md5: committed.get((path, md5)))
    sha = {name: hashlib.sha256(data).hexdigest() for name, data in
           [("{}", b"{}"), ("new", b"new"), ("old", b"old")]}  # fmt: skip
    assert [(e["committed_sha256"], e["reproduced_sha256"]) for e in got] == [
        (sha["{}"], sha["{}"]),
        (sha["old"], sha["new"]),
        (None, None),
    ]
    assert [(e["verdict"], e["max_difference"]) for e in got] == [
        (IDENTICAL, 0.0),
        (EQUIVALENT, 1e-12),
        (DIFFERENT, None),
    ]


def git(repo: Path, *args: str) -> str:
    env = {"GIT_CONFIG_GLOBAL": "/dev/null", "GIT_CONFIG_NOSYSTEM": "1", "PATH": "/usr/bin:/bin"}
    proc = subprocess.run(["git", *args], cwd=repo, env=env, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


@pytest.fixture
def repo(tmp_path, monkeypatch):
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", "/dev/null")
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    path = tmp_path / "repo"
    path.mkdir()
    git(path, "init", "-q")
    return path


def test_without_a_signing_key_the_record_is_unsigned(repo):
    assert sign(repo, b"{}") is None


@pytest.mark.skipif(shutil.which("ssh-keygen") is None, reason="needs OpenSSH's ssh-keygen")
def test_an_ssh_signing_key_signs_a_dsse_envelope_that_ssh_keygen_verifies(repo, tmp_path):
    key = tmp_path / "id_ed25519"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "t", "-f", str(key)],
                   check=True)  # fmt: skip
    git(repo, "config", "gpg.format", "ssh")
    git(repo, "config", "user.signingkey", str(key))
    payload = dumps(statement("f" * 40, [entry("a", IDENTICAL)], {}))

    signed = sign(repo, payload)

    assert signed["payloadType"] == PAYLOAD_TYPE
    assert base64.b64decode(signed["payload"]) == payload
    public = Path(f"{key}.pub").read_text().strip()
    assert signed["signatures"][0]["keyid"] == public
    signature = tmp_path / "record.sig"
    signature.write_bytes(base64.b64decode(signed["signatures"][0]["sig"]))
    allowed = tmp_path / "allowed_signers"
    allowed.write_text(f"me {public}\n")
    verify = ["ssh-keygen", "-Y", "verify", "-f", str(allowed), "-I", "me", "-n", SSH_NAMESPACE]
    good = subprocess.run([*verify, "-s", str(signature)], input=pae(PAYLOAD_TYPE, payload),
                          capture_output=True)  # fmt: skip
    assert good.returncode == 0, good.stderr
    bad = subprocess.run([*verify, "-s", str(signature)], input=pae(PAYLOAD_TYPE, payload + b" "),
                         capture_output=True)  # fmt: skip
    assert bad.returncode != 0
    assert open_record(json.dumps(signed)) == (json.loads(payload), True)
    assert summary(json.dumps(signed)) == f"{IDENTICAL}, signed"


def test_a_broken_signing_setup_is_an_error_not_an_unsigned_record(repo, tmp_path):
    git(repo, "config", "gpg.format", "ssh")
    git(repo, "config", "user.signingkey", str(tmp_path / "no-such-key"))
    with pytest.raises(LockstepError, match="signing the record with ssh-keygen failed"):
        sign(repo, b"{}")


def test_notes_that_are_not_records_are_reported_as_unreadable():
    assert summary("free text") == "unreadable"
    assert summary('{"_type": "other"}') == "unreadable"
    with pytest.raises(LockstepError, match="not an in-toto Statement"):
        open_record("[]")


def test_cpu_facts_come_from_cpuinfo(tmp_path):
    info = tmp_path / "cpuinfo"
    info.write_text(
        "processor: 0\nmodel name\t: Example CPU 9000\nflags\t\t: fpu sse4_2 avx avx2 fma\n"
        "processor: 1\nmodel name\t: other\nflags\t: avx512f\n"
    )
    facts = cpu(info)
    assert facts["model"] == "Example CPU 9000"
    assert facts["simd_flags"] == ["sse4_2", "avx", "avx2", "fma"]
    assert cpu(tmp_path / "absent")["simd_flags"] == []


def test_machine_facts_name_the_blas_and_the_packages_without_paths():
    found = facts({"numpy": "1"})
    assert found["packages"] == {"numpy": "1"}
    assert any(pool.get("internal_api") == "openblas" for pool in found["blas"])
    assert found["python"]["version"].count(".") == 2
