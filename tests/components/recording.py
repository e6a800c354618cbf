"""Pulumi's own mock runtime, with a monitor that also records each registration's parent and options.

`pulumi.runtime.set_mocks(mocks, monitor=...)` is the SDK's public hook: the stock MockMonitor keeps
URNs and outputs, and this subclass keeps what the engine would be told besides (parent URN, custom
or component, ignoreChanges, dependencies), so a test asserts the resource graph, not just values.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pulumi
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime import rpc
from pulumi.runtime.sync_await import _sync_await


@dataclass
class Registration:
    type: str
    name: str
    urn: str
    parent: str
    custom: bool
    inputs: dict[str, Any]
    ignore_changes: list[str] = field(default_factory=list)
    retain_on_delete: bool = False


class Mocks(pulumi.runtime.Mocks):
    """Outputs = inputs, plus the few computed outputs the components read back."""

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        state = dict(args.inputs)
        if args.typ == "docker:index/image:Image":
            state["repoDigest"] = f"sha256:{args.name}-digest"
        if args.typ == "docker:index/remoteImage:RemoteImage":
            state["imageId"] = f"sha256:{args.inputs.get('name')}"
        if args.typ.startswith("kubernetes:") and "metadata" in state:
            meta = dict(state["metadata"] or {})
            meta.setdefault("name", args.name)  # auto-naming, as the provider would
            state["metadata"] = meta
        return (f"{args.name}-id" if args.custom else None), state

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
        return {}, None


class RecordingMonitor(pulumi_mocks.MockMonitor):
    def __init__(self, mocks: pulumi.runtime.Mocks) -> None:
        super().__init__(mocks)
        self.registrations: list[Registration] = []

    def RegisterResource(self, request: Any) -> Any:
        response = super().RegisterResource(request)
        if request.type != "pulumi:pulumi:Stack":
            self.registrations.append(
                Registration(
                    type=request.type,
                    name=request.name,
                    urn=response.urn,
                    parent=request.parent,
                    custom=bool(request.custom),
                    inputs=_plain(rpc.deserialize_properties(request.object, keep_unknowns=True)),
                    ignore_changes=list(request.ignoreChanges),
                    retain_on_delete=bool(request.retainOnDelete),
                )
            )
        return response


def _plain(value: Any) -> Any:
    """Secrets unwrapped (tests compare content), everything else as deserialized."""
    if isinstance(value, dict):
        if value.get(rpc._special_sig_key) == rpc._special_secret_sig:
            return _plain(value["value"])
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


@dataclass
class Graph:
    registrations: list[Registration]
    outputs: dict[str, Any]

    def by_type(self, type_: str) -> list[Registration]:
        return [r for r in self.registrations if r.type == type_]

    def one(self, type_: str, name: str | None = None) -> Registration:
        found = [r for r in self.by_type(type_) if name is None or r.name == name]
        assert len(found) == 1, f"expected one {type_} {name or ''}, found {[r.name for r in found]}"
        return found[0]

    def named(self, name: str) -> Registration:
        found = [r for r in self.registrations if r.name == name]
        assert len(found) == 1, f"expected one resource named {name}, found {len(found)}"
        return found[0]

    def parent_of(self, name: str) -> Registration | None:
        parent = self.named(name).parent
        return next((r for r in self.registrations if r.urn == parent), None)

    def types(self) -> list[tuple[str, str]]:
        return sorted((r.type, r.name) for r in self.registrations)


def build(program: Callable[[], dict[str, Any] | None], *, stack: str = "test") -> Graph:
    """Run `program` under the mock engine; return every registration and the outputs it returned."""
    mocks = Mocks()
    monitor = RecordingMonitor(mocks)
    pulumi.runtime.set_mocks(mocks, project="slostack", stack=stack, preview=False, monitor=monitor)
    outputs: dict[str, Any] = {}

    @pulumi.runtime.test
    def run() -> pulumi.Output[Any]:
        exported = program() or {}
        return pulumi.Output.all(**exported).apply(outputs.update)

    run()
    return Graph(list(monitor.registrations), outputs)


__all__ = ["Graph", "Mocks", "RecordingMonitor", "Registration", "_sync_await", "build"]
