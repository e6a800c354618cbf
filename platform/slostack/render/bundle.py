"""`Bundle`: every file a running stack needs, as relative path -> text, with one content digest."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["Bundle"]


@dataclass(frozen=True)
class Bundle(Mapping[str, str]):
    """An ordered, immutable mapping of bundle-relative POSIX paths to file text.

    The digest covers every path and byte, so two bundles with the same digest deploy identically
    and a re-deploy of an unchanged spec can be a no-op.
    """

    files: Mapping[str, str]
    digest: str = field(init=False)

    def __post_init__(self) -> None:
        ordered = dict(sorted(self.files.items()))
        for path in ordered:
            if path.startswith("/") or ".." in path.split("/") or "\\" in path:
                raise ValueError(
                    f"bundle paths must be relative POSIX paths inside the bundle (got {path!r})"
                )
        object.__setattr__(self, "files", ordered)
        object.__setattr__(self, "digest", self.digest_of(ordered))

    @staticmethod
    def digest_of(files: Mapping[str, str]) -> str:
        h = hashlib.sha256()
        for path in sorted(files):
            data = files[path].encode()
            h.update(f"{path}\0{len(data)}\0".encode())
            h.update(data)
        return "sha256:" + h.hexdigest()

    def __getitem__(self, path: str) -> str:
        return self.files[path]

    def __iter__(self) -> Iterator[str]:
        return iter(self.files)

    def __len__(self) -> int:
        return len(self.files)

    def file_digests(self) -> dict[str, str]:
        return {p: "sha256:" + hashlib.sha256(t.encode()).hexdigest() for p, t in self.files.items()}

    def write(self, out_dir: str | os.PathLike[str]) -> Path:
        """Write all files to `out_dir`, replacing it whole; a failure leaves `out_dir` as it was."""
        target = Path(out_dir).resolve()
        target.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
        try:
            for rel, text in self.files.items():
                path = staging / rel
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(text, encoding="utf-8")
            old = None
            if target.exists():
                old = target.with_name(f".{target.name}.old-{os.getpid()}")
                os.replace(target, old)
            os.replace(staging, target)
            if old is not None:
                shutil.rmtree(old, ignore_errors=True)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        return target

    @classmethod
    def read(cls, directory: str | os.PathLike[str]) -> Bundle:
        root = Path(directory)
        files = {
            p.relative_to(root).as_posix(): p.read_text(encoding="utf-8")
            for p in sorted(root.rglob("*"))
            if p.is_file()
        }
        return cls(files)

    def json_manifest(self) -> str:
        return (
            json.dumps({"digest": self.digest, "files": self.file_digests()}, indent=2, sort_keys=True) + "\n"
        )
